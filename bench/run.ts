/**
 * The publishing benchmark (issue 7): for each shape and size, on a fresh embedded registry each
 * time, the median of several cold runs of a (per-crate `cargo publish -p`), b (`cargo publish
 * --workspace`), c (the rehearsal CLI) and d (`cargo package --workspace`), without and with index
 * lag; plus plan computation for a 500-crate workspace. Writes RESULTS.md and the raw JSON.
 *
 *   npm run bench                 # the full matrix, writes bench/RESULTS.md
 *   npm run bench -- --quick      # a subset in under 2 minutes, writes bench/results/RESULTS-quick.md
 *   npm run bench -- --deps       # only the case with real dependencies (deps.ts), writes
 *                                 # bench/results/RESULTS-deps.md
 *
 * Flags: --runs N, --units N, --shapes chain,wide,lattice, --sizes 5,20,50, --lags 0,1000 (index lag
 * per version, ms), --variants a,b,c,d[,e] (e: see variants.ts), --plan-size N (0 = skip), --cli PATH,
 * --cli-args '--max-concurrency 16' (extra rehearsal flags), --out PATH, --deps-shape chain|wide and
 * --deps-sizes 5 (the case with real dependencies; 0 = skip it; --quick skips it).
 *   node build/bench/bench/run.js --render bench/results/<run>.json   # rewrite RESULTS.md from raw
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  type Dirent
} from 'node:fs'
import { cpus, release, tmpdir, totalmem, type } from 'node:os'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import * as prettier from 'prettier'
import { checkRealDeps, measureDepsRun, type DepsCaseResult } from './deps.js'
import { measurePlanScale } from './plan-scale.js'
import {
  keptNotes,
  renderReport,
  type BenchReport,
  type CaseResult,
  type MachineInfo
} from './report.js'
import { median } from './stats.js'
import { DEFAULT_VARIANTS, VARIANTS, measure, type BenchCase, type Variant } from './variants.js'
import { SHAPES, type Shape } from './workspace.js'
import { abandonAll } from './world.js'

/** The repository root: this file runs as build/bench/bench/run.js. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

interface Settings {
  mode: BenchReport['mode']
  runs: number
  units: number
  shapes: Shape[]
  sizes: number[]
  lags: number[]
  variants: Variant[]
  planSize: number
  cli: string
  cliArgs: string[]
  out: string
  depsShape: Shape
  depsSizes: number[]
}

/** Code units per crate: about 0.35 s of debug compile per crate on the reference machine. */
const DEFAULT_UNITS = 4

function parseSettings(argv: string[]): Settings {
  const quick = argv.includes('--quick')
  const depsOnly = argv.includes('--deps')
  if (quick && depsOnly) throw new Error('--quick and --deps are two different runs: pick one')
  const mode: BenchReport['mode'] = quick ? 'quick' : depsOnly ? 'deps' : 'full'
  const settings: Settings = {
    mode,
    runs: quick ? 1 : 3,
    units: DEFAULT_UNITS,
    shapes: quick ? ['wide'] : depsOnly ? [] : [...SHAPES],
    sizes: quick ? [5, 20] : [5, 20, 50],
    lags: [0, 1000],
    variants: [...DEFAULT_VARIANTS],
    cliArgs: [],
    planSize: depsOnly ? 0 : 500,
    cli: join(ROOT, 'dist/cli.js'),
    out:
      mode === 'full'
        ? join(ROOT, 'bench/RESULTS.md')
        : join(ROOT, `bench/results/RESULTS-${mode}.md`),
    depsShape: 'chain',
    // The issue's publish target is set at 20 crates.
    depsSizes: quick ? [] : [20]
  }
  const ints = (flag: string, raw: string) =>
    raw.split(',').map(s => {
      const n = Number(s)
      if (!Number.isInteger(n) || n < 0) throw new Error(`${flag}: not a number list: ${raw}`)
      return n
    })
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string
    if (flag === '--quick' || flag === '--deps') continue
    const value = argv[++i]
    if (value === undefined) throw new Error(`${flag} needs a value`)
    switch (flag) {
      case '--runs':
        settings.runs = Math.max(1, ints(flag, value)[0] as number)
        break
      case '--units':
        settings.units = Math.max(1, ints(flag, value)[0] as number)
        break
      case '--sizes':
        settings.sizes = ints(flag, value).filter(n => n > 0)
        break
      case '--lags':
        settings.lags = ints(flag, value)
        break
      case '--plan-size':
        settings.planSize = ints(flag, value)[0] as number
        break
      case '--shapes':
        settings.shapes = value.split(',').map(s => {
          if (!(SHAPES as readonly string[]).includes(s)) throw new Error(`unknown shape ${s}`)
          return s as Shape
        })
        break
      case '--variants':
        settings.variants = value.split(',').map(s => {
          if (!(VARIANTS as readonly string[]).includes(s)) throw new Error(`unknown variant ${s}`)
          return s as Variant
        })
        break
      case '--deps-sizes':
        settings.depsSizes = ints(flag, value).filter(n => n > 0)
        break
      case '--deps-shape':
        if (value !== 'chain' && value !== 'wide')
          throw new Error(`--deps-shape: chain or wide, not ${value}`)
        settings.depsShape = value
        break
      case '--cli':
        settings.cli = resolve(value)
        break
      case '--cli-args':
        settings.cliArgs = value.split(/\s+/).filter(Boolean)
        break
      case '--out':
        settings.out = resolve(value)
        break
      default:
        throw new Error(`unknown flag ${flag}`)
    }
  }
  return settings
}

const sh = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', cwd: ROOT }).trim()
  } catch {
    return 'unknown'
  }
}

function machineInfo(): MachineInfo {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : ''
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown'
  return {
    cpu: model.trim(),
    cores: Number(sh('nproc', [])) || cpus().length,
    memoryGiB: totalmem() / 2 ** 30,
    os: `${type()} ${release()}`,
    node: process.version,
    cargo: sh('cargo', ['--version']),
    rustc: sh('rustc', ['--version']),
    commit: sh('git', ['rev-parse', '--short', 'HEAD'])
  }
}

function log(line: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`)
}

/** Rotates the variant order each run so no variant always runs first (or after a given other). */
function rotated<T>(items: readonly T[], by: number): T[] {
  const k = by % items.length
  return [...items.slice(k), ...items.slice(0, k)]
}

async function runCase(kase: BenchCase, settings: Settings): Promise<CaseResult> {
  const runs: CaseResult['runs'] = { a: [], b: [], c: [], d: [], e: [] }
  // d never uploads: index lag cannot change it, so the lagged cases reuse the zero-lag floor.
  const variants = settings.variants.filter(v => !(v === 'd' && kase.lagMs > 0))
  for (let r = 0; r < settings.runs; r++) {
    for (const variant of rotated(variants, r)) {
      const m = await measure(variant, kase, {
        units: settings.units,
        cli: settings.cli,
        cliArgs: settings.cliArgs,
        probe: join(ROOT, 'build/bench/bench/rss-probe.js')
      })
      runs[variant].push(m)
      log(
        `${kase.shape} ${kase.size} lag ${kase.lagMs} ms, run ${r + 1}/${settings.runs}, ${variant}: ` +
          `${(m.ms / 1000).toFixed(2)} s${m.rssKb ? `, rss ${(m.rssKb / 1024).toFixed(0)} MiB` : ''}`
      )
    }
  }
  return { case: kase, runs }
}

/** Median wall time of `node ARGS…` over 15 runs (start-up is short and noisy). */
function nodeStartup(args: string[]): number {
  const samples: number[] = []
  for (let i = 0; i < 15; i++) {
    const start = performance.now()
    execFileSync(process.execPath, args)
    samples.push(performance.now() - start)
  }
  return median(samples)
}

/** Bytes of every file under `dir`: the committed bundle when `dir` is dist/. */
function folderBytes(dir: string): number {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter(entry => entry.isFile())
    .reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0)
}

/**
 * A private copy of the CLI bundle (its entry and the shared chunks beside it) for the whole run: a
 * rebuild of dist/ while the benchmark runs must not split the measurements between two versions.
 * The sha256 covers every file of the copy, names included.
 */
function snapshotCli(cli: string): { path: string; sha256: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'shipper-bench-cli-'))
  cpSync(dirname(cli), dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n')
  const hash = createHash('sha256')
  const files = (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter(entry => entry.isFile())
    .map(entry => relative(dir, join(entry.parentPath, entry.name)))
    .sort()
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(join(dir, file)))
  return {
    path: join(dir, basename(cli)),
    sha256: hash.digest('hex'),
    cleanup: () => rmSync(dir, { recursive: true, force: true })
  }
}

/** `--render RAW.json [--out PATH]`: rewrites a report from a run's raw JSON (notes kept). */
async function rerender(argv: string[]): Promise<void> {
  const raw = argv[argv.indexOf('--render') + 1]
  if (raw === undefined) throw new Error('--render needs the raw JSON of a run')
  const outAt = argv.indexOf('--out')
  const report = JSON.parse(readFileSync(raw, 'utf8')) as BenchReport
  const out =
    outAt === -1
      ? join(
          ROOT,
          report.mode === 'full' ? 'bench/RESULTS.md' : `bench/results/RESULTS-${report.mode}.md`
        )
      : resolve(argv[outAt + 1] as string)
  report.startedAt = new Date(report.startedAt)
  report.notes = existsSync(out) ? keptNotes(readFileSync(out, 'utf8')) : undefined
  writeFileSync(out, await formatted(out, renderReport(report)))
  log(`wrote ${relative(ROOT, out)} from ${raw}`)
}

/** The report as the repository's prettier writes markdown, so `npm run lint` stays green. */
async function formatted(file: string, markdown: string): Promise<string> {
  const options = (await prettier.resolveConfig(file)) ?? {}
  return prettier.format(markdown, { ...options, filepath: file })
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  if (argv.includes('--render')) return rerender(argv)
  const settings = parseSettings(argv)
  if (!existsSync(settings.cli)) throw new Error(`no CLI at ${settings.cli}: run \`npm run build\``)
  if (settings.depsSizes.length > 0) checkRealDeps()
  const snapshot = snapshotCli(settings.cli)
  const interrupted = async (signal: NodeJS.Signals) => {
    await abandonAll()
    snapshot.cleanup()
    process.stderr.write(`bench interrupted by ${signal}; temporary files removed\n`)
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  process.once('SIGINT', signal => void interrupted(signal))
  process.once('SIGTERM', signal => void interrupted(signal))
  try {
    await benchmark(argv, settings, snapshot)
  } finally {
    snapshot.cleanup()
  }
}

async function benchmark(
  argv: string[],
  settings: Settings,
  snapshot: { path: string; sha256: string }
): Promise<void> {
  const machine = machineInfo()
  const measured = { ...settings, cli: snapshot.path }
  const started = new Date()
  const t0 = performance.now()
  const matrix =
    settings.shapes.length === 0
      ? 'no shape matrix'
      : `shapes ${settings.shapes.join(',')}, sizes ${settings.sizes.join(',')}, index lag ${settings.lags.join(' and ')} ms`
  const deps = settings.depsSizes.map(n => `${settings.depsShape} ${n}`).join(', ') || 'none'
  log(
    `${settings.mode} run: ${matrix}, real dependencies: ${deps}; ` +
      `${settings.runs} run(s), ${settings.units} units/crate`
  )
  const cases: CaseResult[] = []
  for (const lagMs of settings.lags) {
    for (const shape of settings.shapes) {
      for (const size of settings.sizes) cases.push(await runCase({ shape, size, lagMs }, measured))
    }
  }
  const depsResults: DepsCaseResult[] = []
  for (const size of settings.depsSizes) {
    const kase = { shape: settings.depsShape, size }
    const result: DepsCaseResult = { case: kase, runs: [] }
    for (let r = 0; r < settings.runs; r++) {
      result.runs.push(
        ...(await measureDepsRun(
          kase,
          { units: settings.units, cli: measured.cli },
          m =>
            log(
              `${kase.shape} ${kase.size} with real dependencies, run ${r + 1}/${settings.runs}, ` +
                `${m.variant} ${m.temperature}: ${(m.ms / 1000).toFixed(2)} s`
            ),
          r
        ))
      )
    }
    depsResults.push(result)
  }
  let plan: BenchReport['plan']
  if (settings.planSize > 0) {
    plan = await measurePlanScale(settings.planSize, 5)
    log(
      `plan of ${plan.size} crates: metadata ${(plan.metadataMs / 1000).toFixed(2)} s, computePlan ${(plan.computePlanMs / 1000).toFixed(2)} s`
    )
  }
  const report: BenchReport = {
    mode: settings.mode,
    command: ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '),
    startedAt: started,
    durationMs: performance.now() - t0,
    machine,
    units: settings.units,
    runs: settings.runs,
    lagMs: Math.max(...settings.lags),
    cli: relative(ROOT, settings.cli),
    cliSha256: snapshot.sha256,
    cliArgs: settings.cliArgs,
    cliStartupMs: nodeStartup([snapshot.path, '--version']),
    nodeStartupMs: nodeStartup(['-e', '0']),
    distBytes: folderBytes(dirname(settings.cli)),
    cases,
    deps: depsResults.length > 0 ? depsResults : undefined,
    plan,
    notes: existsSync(settings.out) ? keptNotes(readFileSync(settings.out, 'utf8')) : undefined
  }
  mkdirSync(dirname(settings.out), { recursive: true })
  writeFileSync(settings.out, await formatted(settings.out, renderReport(report)))
  const raw = join(
    ROOT,
    'bench/results',
    `${started.toISOString().replace(/[:.]/g, '-')}-${report.mode}.json`
  )
  mkdirSync(dirname(raw), { recursive: true })
  // The raw data lives beside the report (so it can be re-rendered) and in the run history.
  const beside = settings.out.replace(/\.md$/, '') + '.json'
  for (const file of [raw, beside]) writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`)
  log(
    `wrote ${relative(ROOT, settings.out)}, ${relative(ROOT, beside)} and ${relative(ROOT, raw)} after ${((performance.now() - t0) / 1000).toFixed(0)} s`
  )
}

main().catch(error => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exitCode = 1
})
