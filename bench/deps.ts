/**
 * The case with real dependencies (issue 15): a workspace whose crates depend on serde, serde_json,
 * regex, anyhow, thiserror and log, taken from Debian's packaged crates as the crates.io stand-in,
 * so a verification build is mostly dependencies, as in real projects. It publishes to a "live"
 * embedded registry, as a workspace releasing to a private registry does (internal dependencies
 * carry `registry = "live"`), and measures
 *   b   `cargo publish --workspace --registry live`
 *   c   the rehearsal CLI (target registry `live`, rehearsing on an embedded registry)
 *   p   the CLI's publish after a content-bound rehearsal, `verify: auto` (the default)
 *   pa  the same with `--verify always`
 * each with a cold target dir and a warm one (a target dir that already built these sources, what
 * the `cache` input restores). The rehearsal p and pa follow is c's cold run: its state dir is
 * copied for each publish, and each publish goes to a fresh live registry on the port the
 * rehearsal saw, since the plan_id includes the live API base.
 */
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { startRegistry, type EmbeddedRegistry } from '../src/registry/index.js'
import { REAL_DEPS_SOURCE, VERSION, writeWorkspace, type Shape } from './workspace.js'
import { cargoWorld, outputTail, runTimed, type ChildRun, type TimedLine } from './world.js'

export type DepsVariant = 'b' | 'c' | 'p' | 'pa'

export const DEPS_VARIANTS: readonly DepsVariant[] = ['b', 'c', 'p', 'pa']

export type Temperature = 'cold' | 'warm'

export const TEMPERATURES: readonly Temperature[] = ['cold', 'warm']

export const DEPS_LABELS: Record<DepsVariant, string> = {
  b: '`cargo publish --workspace`',
  c: 'rehearsal (CLI)',
  p: 'publish after a content-bound rehearsal (CLI, `verify: auto`, the default)',
  pa: 'publish after a content-bound rehearsal (CLI, `--verify always`)'
}

export interface DepsCase {
  shape: Shape
  size: number
}

export interface DepsMeasurement {
  variant: DepsVariant
  temperature: Temperature
  ms: number
  /** 1-minute load average when the measurement ended. */
  load?: number
}

export interface DepsCaseResult {
  case: DepsCase
  /** Every measurement of every run, in the order taken. */
  runs: DepsMeasurement[]
}

export interface DepsConfig {
  units: number
  /** The CLI under test (a snapshot of dist/cli.js). */
  cli: string
}

/** The name the workspace's internal dependencies give the live registry. */
const LIVE = 'live'

/**
 * One run of the case (the `runIndex`-th): b and c (in alternating order from run to run), then p and
 * pa, each cold then warm (c's cold rehearsal is the proof p and pa publish behind, and its target
 * dir is their warm one).
 */
export async function measureDepsRun(
  kase: DepsCase,
  config: DepsConfig,
  onMeasured: (m: DepsMeasurement) => void = () => {},
  runIndex = 0
): Promise<DepsMeasurement[]> {
  const base = cargoWorld('shipper-bench-deps-', { standIn: REAL_DEPS_SOURCE })
  let live: EmbeddedRegistry | undefined
  try {
    const ws = writeWorkspace(join(base.root, 'ws'), {
      shape: kase.shape,
      size: kase.size,
      units: config.units,
      registry: LIVE,
      externalDeps: true
    })
    const names = ws.crates.map(c => c.name)
    let dirs = 0
    const fresh = (what: string) => {
      const dir = join(base.root, `${what}-${++dirs}`)
      mkdirSync(dir, { recursive: true })
      return dir
    }
    // The live registry's port is fixed for the run: the rehearsal's plan_id names it.
    live = await startRegistry({ dataDir: fresh('live') })
    const port = live.port
    const freshLive = async () => {
      await live?.close()
      live = undefined
      live = await startRegistry({ port, dataDir: fresh('live') })
      return live
    }
    // The lock every variant packages, written once so none of them resolves on its own.
    await checked(
      runTimed('cargo', ['generate-lockfile', '--offline'], {
        cwd: ws.root,
        env: { ...base.env, CARGO_REGISTRIES_LIVE_INDEX: live.indexUrl }
      }),
      'cargo generate-lockfile'
    )

    /** A fresh CARGO_HOME per measurement (as a CI job has), on the given target dir. */
    const timed = async (
      targetDir: string,
      command: string,
      args: string[],
      extraEnv: Record<string, string>,
      what: string
    ): Promise<ChildRun> => {
      const world = cargoWorld('shipper-bench-deps-run-', { standIn: REAL_DEPS_SOURCE })
      try {
        const env = { ...world.env, CARGO_TARGET_DIR: targetDir, ...extraEnv }
        return await checked(runTimed(command, args, { cwd: ws.root, env }), what)
      } finally {
        world.cleanup()
      }
    }
    const out: DepsMeasurement[] = []
    const record = (variant: DepsVariant, temperature: Temperature, ms: number) => {
      const m = { variant, temperature, ms, load: loadavg()[0] }
      out.push(m)
      onMeasured(m)
    }
    const liveEnv = (registry: EmbeddedRegistry) => ({
      CARGO_REGISTRIES_LIVE_INDEX: registry.indexUrl,
      CARGO_REGISTRIES_LIVE_TOKEN: registry.token
    })

    const measureB = async () => {
      const bTarget = fresh('target-b')
      for (const temperature of TEMPERATURES) {
        const registry = await freshLive()
        const run = await timed(
          bTarget,
          'cargo',
          ['publish', '--workspace', '--registry', LIVE],
          liveEnv(registry),
          'cargo publish --workspace'
        )
        checkUploadedOnce(registry, names, `b ${temperature}`)
        record('b', temperature, run.ms)
      }
    }

    const cTarget = fresh('target-c')
    let proof: string | undefined
    const measureC = async () => {
      for (const temperature of TEMPERATURES) {
        const target = await freshLive()
        const rehearsal = await startRegistry({ dataDir: fresh('rehearsal') })
        try {
          const stateDir = fresh('state')
          const run = await timed(
            cTarget,
            process.execPath,
            [
              config.cli,
              'rehearse',
              '--manifest-path',
              ws.manifestPath,
              '--target-registry',
              LIVE,
              '--target-registry-url',
              target.url,
              '--registry-url',
              rehearsal.url,
              '--state-dir',
              stateDir
            ],
            {
              CARGO_REGISTRIES_LIVE_INDEX: target.indexUrl,
              SHIPPER_REGISTRY_TOKEN: rehearsal.token
            },
            'the rehearsal'
          )
          checkUploadedOnce(rehearsal, names, `c ${temperature}`)
          checkUploadedOnce(target, [], `c ${temperature} (live registry)`)
          record('c', temperature, run.ms)
          proof ??= stateDir
        } finally {
          await rehearsal.close()
        }
      }
    }
    // Which of b and c meets a cold page cache first alternates from run to run.
    if (runIndex % 2 === 0) {
      await measureB()
      await measureC()
    } else {
      await measureC()
      await measureB()
    }

    for (const variant of ['p', 'pa'] as const) {
      for (const temperature of TEMPERATURES) {
        const registry = await freshLive()
        const stateDir = fresh('state')
        cpSync(proof as string, stateDir, { recursive: true })
        const run = await timed(
          temperature === 'warm' ? cTarget : fresh('target-p'),
          process.execPath,
          [
            config.cli,
            'publish',
            '--manifest-path',
            ws.manifestPath,
            '--target-registry',
            LIVE,
            '--target-registry-url',
            registry.url,
            '--state-dir',
            stateDir,
            ...(variant === 'pa' ? ['--verify', 'always'] : [])
          ],
          liveEnv(registry),
          `the publish (${variant})`
        )
        checkVerification(run, variant)
        checkUploadedOnce(registry, names, `${variant} ${temperature}`)
        record(variant, temperature, run.ms)
      }
    }
    return out
  } finally {
    await live?.close()
    base.cleanup()
  }
}

/** Debian's crate packages the case needs, and how to get them, checked before anything runs. */
export const REAL_DEPS_PACKAGES = [
  'librust-serde-derive-dev',
  'librust-serde-json-dev',
  'librust-regex+default-dev',
  'librust-anyhow-dev',
  'librust-thiserror-dev',
  'librust-log-dev'
]

/** The first crate of the case's dependencies missing from `source`, if any. */
export function missingRealDep(source: string): string | undefined {
  const present = existsSync(source) ? readdirSync(source) : []
  return [
    'serde-1',
    'serde_derive-1',
    'serde_json-1',
    'regex-1',
    'anyhow-1',
    'thiserror-1',
    'log-0.4'
  ].find(prefix => !present.some(dir => dir.startsWith(`${prefix}.`)))
}

export function checkRealDeps(source = REAL_DEPS_SOURCE): void {
  const missing = missingRealDep(source)
  if (missing !== undefined) {
    throw new Error(
      `the case with real dependencies needs ${missing}.* in ${source}: ` +
        `apt-get install -y ${REAL_DEPS_PACKAGES.join(' ')} (or --deps-sizes 0 to skip the case)`
    )
  }
}

async function checked(pending: Promise<ChildRun>, what: string): Promise<ChildRun> {
  const run = await pending
  if (run.code !== 0) throw new Error(`${what} exited ${run.code}:\n${outputTail(run)}`)
  return run
}

/** A run only counts if every crate reached the registry exactly once (and nothing else did). */
export function uploadProblem(
  uploads: Record<string, number>,
  names: string[]
): string | undefined {
  const wrong = names.filter(n => uploads[`${n}@${VERSION}`] !== 1)
  if (wrong.length > 0 || Object.keys(uploads).length !== names.length) {
    return `expected one upload of each of ${names.length} crates, registry saw ${JSON.stringify(uploads)}`
  }
  return undefined
}

function checkUploadedOnce(registry: EmbeddedRegistry, names: string[], what: string): void {
  const problem = uploadProblem(registry.faults.uploads(), names)
  if (problem) throw new Error(`${what}: ${problem}`)
}

/**
 * p must have skipped the verification build and pa must not have, judging by the publish's
 * progress lines: else the run measured something else.
 */
export function verificationProblem(
  lines: readonly TimedLine[],
  variant: 'p' | 'pa'
): string | undefined {
  const skipped = lines.some(
    l => l.stream === 'out' && l.text.startsWith('verification build skipped')
  )
  if (skipped === (variant === 'p')) return undefined
  return `${variant}: the publish ${skipped ? 'skipped' : 'ran'} the verification build`
}

function checkVerification(run: ChildRun, variant: 'p' | 'pa'): void {
  const problem = verificationProblem(run.lines, variant)
  if (problem) throw new Error(`${problem}:\n${outputTail(run)}`)
}
