/**
 * The four ways of publishing a workspace the benchmark compares, each measured once, cold, on a
 * fresh embedded registry:
 *   a  per-crate sequential `cargo publish -p X` in plan order (how shipper rehearses)
 *   b  `cargo publish --workspace`
 *   c  our rehearsal, through the CLI, given the user's workspace as is
 *   d  `cargo package --workspace` (verification only: the compile floor)
 *   e  exploratory, not in the default set: `cargo package --workspace`, then one
 *      `cargo publish --no-verify --workspace` for the whole plan — the rehearsal's shape (verify
 *      once, then upload what was verified) with cargo ordering the levels, measured with plain
 *      cargo: the floor of a rehearsal that leaves all uploads to one cargo run
 * a, b and d run on a workspace whose internal dependencies name the registry, as the rehearsal's
 * scratch copy does; c gets the plain workspace and rewrites its own copy.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { startRegistry, type EmbeddedRegistry } from '../src/registry/index.js'
import { VERSION, writeWorkspace, type Shape } from './workspace.js'
import { cargoWorld, outputTail, runTimed, type ChildRun, type TimedLine } from './world.js'

export type Variant = 'a' | 'b' | 'c' | 'd' | 'e'

export const VARIANTS: readonly Variant[] = ['a', 'b', 'c', 'd', 'e']

/** What `npm run bench` measures unless told otherwise (the four). */
export const DEFAULT_VARIANTS: readonly Variant[] = ['a', 'b', 'c', 'd']

export const VARIANT_LABELS: Record<Variant, string> = {
  a: 'per-crate `cargo publish -p` (sequential)',
  b: '`cargo publish --workspace`',
  c: 'rehearsal (CLI)',
  d: '`cargo package --workspace` (compile floor)',
  e: '`cargo package --workspace`, then one `cargo publish --no-verify --workspace` (exploratory)'
}

export interface BenchCase {
  shape: Shape
  size: number
  /** Index visibility delay per version, ms (0 = none). */
  lagMs: number
}

export interface MeasureConfig {
  units: number
  /** The CLI under test (dist/cli.js). */
  cli: string
  /** Compiled rss-probe.js, preloaded into the CLI's node process. */
  probe: string
  /** Extra flags for the rehearsal (experiments, e.g. `--max-concurrency 16`). */
  cliArgs: string[]
}

export interface Measurement {
  variant: Variant
  ms: number
  /** Peak RSS of the CLI's node process (c only), KiB. */
  rssKb?: number
  /** When each phase began, ms since the start (c and b). */
  marks?: Record<string, number>
  /** 1-minute load average when the measurement ended: other work on the machine shows here. */
  load?: number
}

/** The cargo registry name of a, b and d (the rehearsal keeps its default, `rehearsal`). */
const REGISTRY = 'bench'

export async function measure(
  variant: Variant,
  kase: BenchCase,
  config: MeasureConfig
): Promise<Measurement> {
  const world = cargoWorld(`shipper-bench-${variant}-`)
  // Inside the world, so an interrupted run leaves nothing behind once the world is removed.
  const registry = await startRegistry({ dataDir: join(world.root, 'registry') })
  try {
    const ws = writeWorkspace(join(world.root, 'ws'), {
      shape: kase.shape,
      size: kase.size,
      units: config.units,
      registry: variant === 'c' ? undefined : REGISTRY
    })
    if (kase.lagMs > 0) {
      for (const crate of ws.crates) registry.faults.delayIndex(crate.name, VERSION, kase.lagMs)
    }
    const env = {
      ...world.env,
      CARGO_REGISTRIES_BENCH_INDEX: registry.indexUrl,
      CARGO_REGISTRIES_BENCH_TOKEN: registry.token
    }
    const names = ws.crates.map(c => c.name)
    const cargo = async (args: string[]): Promise<ChildRun> => {
      const run = await runTimed('cargo', args, { cwd: ws.root, env })
      if (run.code !== 0) {
        throw new Error(`cargo ${args.join(' ')} exited ${run.code}:\n${outputTail(run)}`)
      }
      return run
    }

    let measurement: Measurement
    switch (variant) {
      case 'a': {
        let ms = 0
        for (const name of names)
          ms += (await cargo(['publish', '-p', name, '--registry', REGISTRY])).ms
        measurement = { variant, ms }
        break
      }
      case 'b': {
        const run = await cargo(['publish', '--workspace', '--registry', REGISTRY])
        measurement = { variant, ms: run.ms, marks: cargoMarks(run.lines) }
        break
      }
      case 'c': {
        const rssFile = join(world.root, 'cli-maxrss')
        const run = await runTimed(
          process.execPath,
          [
            '--import',
            pathToFileURL(config.probe).href,
            config.cli,
            'rehearse',
            '--manifest-path',
            ws.manifestPath,
            '--registry-url',
            registry.url,
            '--state-dir',
            join(world.root, 'state'),
            ...config.cliArgs
          ],
          {
            cwd: ws.root,
            env: { ...world.env, SHIPPER_REGISTRY_TOKEN: registry.token, BENCH_RSS_FILE: rssFile }
          }
        )
        if (run.code !== 0) throw new Error(`the rehearsal exited ${run.code}:\n${outputTail(run)}`)
        measurement = {
          variant,
          ms: run.ms,
          rssKb: existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8')) : undefined,
          marks: rehearsalMarks(run.lines)
        }
        break
      }
      case 'd': {
        const run = await cargo(['package', '--workspace', '--registry', REGISTRY])
        const packaged = readdirSync(join(world.targetDir, 'package')).filter(f =>
          f.endsWith('.crate')
        )
        if (packaged.length !== names.length) {
          throw new Error(`cargo package left ${packaged.length} .crate files, not ${names.length}`)
        }
        measurement = { variant, ms: run.ms }
        break
      }
      case 'e': {
        const packaged = await cargo(['package', '--workspace', '--registry', REGISTRY])
        const upload = await cargo([
          'publish',
          '--no-verify',
          '--workspace',
          '--registry',
          REGISTRY
        ])
        measurement = { variant, ms: packaged.ms + upload.ms, marks: { upload: packaged.ms } }
        break
      }
    }
    if (variant !== 'd') checkUploads(registry, names, variant)
    return { ...measurement, load: loadavg()[0] }
  } finally {
    await registry.close()
    world.cleanup()
  }
}

/** A run only counts if every crate reached the registry exactly once. */
function checkUploads(registry: EmbeddedRegistry, names: string[], variant: Variant): void {
  const uploads = registry.faults.uploads()
  const wrong = names.filter(n => uploads[`${n}@${VERSION}`] !== 1)
  if (wrong.length > 0 || Object.keys(uploads).length !== names.length) {
    throw new Error(
      `variant ${variant}: expected one upload of each of ${names.length} crates, registry saw ${JSON.stringify(uploads)}`
    )
  }
}

const firstMatch = (lines: TimedLine[], pattern: RegExp) =>
  lines.find(l => pattern.test(l.text))?.ms

function defined(marks: Record<string, number | undefined>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(marks).filter((e): e is [string, number] => e[1] !== undefined)
  )
}

/** When `cargo publish --workspace` started packaging and uploading. */
export function cargoMarks(lines: TimedLine[]): Record<string, number> {
  return defined({
    package: firstMatch(lines, /^\s*Packaging /),
    upload: firstMatch(lines, /^\s*Uploading /)
  })
}

/**
 * The rehearsal's phases, from its progress lines: plan + content digest end when it turns to the
 * registry, then the scratch copy, one packaging run, and the uploads.
 */
export function rehearsalMarks(lines: TimedLine[]): Record<string, number> {
  const out = lines.filter(l => l.stream === 'out')
  return defined({
    registry: firstMatch(
      out,
      /^(waiting for the rehearsal registry|started the embedded registry)/
    ),
    copy: firstMatch(out, /^copied \d+ files/),
    package: firstMatch(out, /^packaging and verifying/),
    upload: firstMatch(out, /^uploading /)
  })
}
