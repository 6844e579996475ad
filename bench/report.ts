/**
 * Turns measurements into RESULTS.md: medians, the ratios the issue asks for, the targets each
 * case meets or misses (and by how much), the rehearsal's phase breakdown, and the machine.
 * Pure; the runner does the I/O.
 */
import {
  DEPS_LABELS,
  DEPS_VARIANTS,
  TEMPERATURES,
  type DepsCase,
  type DepsCaseResult,
  type DepsVariant,
  type Temperature
} from './deps.js'
import type { PlanScaleResult } from './plan-scale.js'
import { median } from './stats.js'
import type { BenchCase, Measurement, Variant } from './variants.js'
import { VARIANT_LABELS } from './variants.js'

export interface CaseResult {
  case: BenchCase
  runs: Record<Variant, Measurement[]>
}

export interface MachineInfo {
  cpu: string
  cores: number
  memoryGiB: number
  os: string
  node: string
  cargo: string
  rustc: string
  commit: string
}

export interface BenchReport {
  mode: 'full' | 'quick' | 'deps'
  command: string
  startedAt: Date
  durationMs: number
  machine: MachineInfo
  units: number
  runs: number
  lagMs: number
  cli: string
  /** sha256 of the CLI bundle that was measured (the runner measures a private copy of it). */
  cliSha256: string
  /** Extra rehearsal flags of this run (experiments); empty = the defaults a user gets. */
  cliArgs: string[]
  cliStartupMs: number
  /** Median wall time of a bare `node -e 0` on the same machine, same moment. */
  nodeStartupMs?: number
  /** Bytes of the committed bundle: every file of the CLI's folder (dist/). */
  distBytes?: number
  cases: CaseResult[]
  /** The case with real dependencies (bench/deps.ts), when it ran. */
  deps?: DepsCaseResult[]
  plan?: PlanScaleResult
  /** Hand-written notes kept from the previous RESULTS.md (between the notes markers). */
  notes?: string
}

export const NOTES_BEGIN = '<!-- notes:begin (kept when the benchmark rewrites this file) -->'
export const NOTES_END = '<!-- notes:end -->'

/** The hand-written notes section of an existing RESULTS.md, markers excluded. */
export function keptNotes(previous: string): string | undefined {
  const begin = previous.indexOf(NOTES_BEGIN)
  const end = previous.indexOf(NOTES_END)
  if (begin === -1 || end < begin) return undefined
  return previous.slice(begin + NOTES_BEGIN.length, end).trim()
}

export interface CaseSummary {
  case: BenchCase
  /** Median wall time per variant, ms. */
  ms: Partial<Record<Variant, number>>
  /** Where d came from: measured in this case, or the zero-lag case (d never uploads). */
  dSource: 'measured' | 'zero-lag'
  rssKb?: number
  maxRssKb?: number
  cMarks: Record<string, number>
  bMarks: Record<string, number>
}

function markMedians(runs: Measurement[]): Record<string, number> {
  const names = new Set(runs.flatMap(r => Object.keys(r.marks ?? {})))
  const out: Record<string, number> = {}
  for (const name of names) {
    const values = runs.flatMap(r => (r.marks?.[name] === undefined ? [] : [r.marks[name]]))
    if (values.length > 0) out[name] = median(values)
  }
  return out
}

export function summarize(results: readonly CaseResult[]): CaseSummary[] {
  return results.map(result => {
    const ms: Partial<Record<Variant, number>> = {}
    for (const v of ['a', 'b', 'c', 'd', 'e'] as const) {
      if (result.runs[v].length > 0) ms[v] = median(result.runs[v].map(m => m.ms))
    }
    let dSource: CaseSummary['dSource'] = 'measured'
    if (ms.d === undefined) {
      const floor = results.find(
        r =>
          r.case.shape === result.case.shape &&
          r.case.size === result.case.size &&
          r.case.lagMs === 0 &&
          r.runs.d.length > 0
      )
      if (floor) {
        ms.d = median(floor.runs.d.map(m => m.ms))
        dSource = 'zero-lag'
      }
    }
    const rss = result.runs.c.flatMap(m => (m.rssKb === undefined ? [] : [m.rssKb]))
    return {
      case: result.case,
      ms,
      dSource,
      rssKb: rss.length > 0 ? median(rss) : undefined,
      maxRssKb: rss.length > 0 ? Math.max(...rss) : undefined,
      cMarks: markMedians(result.runs.c),
      bMarks: markMedians(result.runs.b)
    }
  })
}

export type DepsKey = `${DepsVariant} ${Temperature}`

export interface DepsSummary {
  case: DepsCase
  /** Median wall time per variant and target dir temperature, ms. */
  ms: Partial<Record<DepsKey, number>>
  /** How many measurements each median is of (the fewest over the cells). */
  runs: number
}

/** The targets of issue 15, in one place (the tables, the checks and the tests read them). */
export const TARGETS = {
  /** Zero lag: rehearsal / `cargo publish --workspace`. */
  zeroLagCb: 1.05,
  /** Zero lag: rehearsal / `cargo package --workspace` (the compile floor). */
  zeroLagCd: 1.1,
  /** 1 s index lag: rehearsal / `cargo publish --workspace`. */
  laggedCb: 1.03,
  /** Publish after a content-bound rehearsal / `cargo publish --workspace`. */
  depsPublish: 0.35,
  /** `dist/cli.js --version` / bare `node -e 0`. */
  startup: 2,
  /** The committed bundle, MB (10^6 bytes). */
  distMb: 7,
  /** Peak RSS of the action's own process, MiB. */
  rssMib: 100
} as const

/** The issue's limit for publish after a content-bound rehearsal / `cargo publish --workspace`. */
export const DEPS_PUBLISH_LIMIT = TARGETS.depsPublish

export function summarizeDeps(results: readonly DepsCaseResult[]): DepsSummary[] {
  return results.map(result => {
    const ms: Partial<Record<DepsKey, number>> = {}
    const counts: number[] = []
    for (const variant of DEPS_VARIANTS) {
      for (const temperature of TEMPERATURES) {
        const values = result.runs
          .filter(m => m.variant === variant && m.temperature === temperature)
          .map(m => m.ms)
        if (values.length > 0) {
          ms[`${variant} ${temperature}`] = median(values)
          counts.push(values.length)
        }
      }
    }
    return { case: result.case, ms, runs: counts.length > 0 ? Math.min(...counts) : 0 }
  })
}

/** x / b of a deps case at one temperature. */
export function depsRatio(
  s: DepsSummary,
  variant: DepsVariant,
  temperature: Temperature
): number | undefined {
  const x = s.ms[`${variant} ${temperature}`]
  const b = s.ms[`b ${temperature}`]
  return x === undefined || b === undefined ? undefined : x / b
}

const depsLabel = (c: DepsCase) => `${c.shape} ${c.size} with real dependencies`

export interface TargetCheck {
  label: string
  /** Measured value (a ratio, or ms for the plan). */
  value: number
  limit: number
  ok: boolean
  unit: 'ratio' | 'ms' | 'MiB' | 'MB'
}

/** What the run measured of the process and the bundle rather than of a case. */
export interface ProcessFacts {
  cliStartupMs: number
  nodeStartupMs?: number
  distBytes?: number
}

const ratio = (s: CaseSummary, x: Variant, y: Variant) =>
  s.ms[x] !== undefined && s.ms[y] !== undefined
    ? (s.ms[x] as number) / (s.ms[y] as number)
    : undefined

const caseLabel = (c: BenchCase) =>
  `${c.shape} ${c.size}${c.lagMs > 0 ? `, ${c.lagMs / 1000} s lag` : ''}`

/** The issue's targets, checked case by case. */
export function checkTargets(
  summaries: readonly CaseSummary[],
  plan?: PlanScaleResult,
  deps: readonly DepsSummary[] = [],
  facts?: ProcessFacts
): TargetCheck[] {
  const checks: TargetCheck[] = []
  const add = (label: string, value: number | undefined, limit: number) => {
    if (value !== undefined) checks.push({ label, value, limit, ok: value <= limit, unit: 'ratio' })
  }
  for (const s of summaries) {
    const name = caseLabel(s.case)
    if (s.case.lagMs === 0) {
      add(`${name}: c/b ≤ ${TARGETS.zeroLagCb.toFixed(2)}`, ratio(s, 'c', 'b'), TARGETS.zeroLagCb)
      add(`${name}: c/d ≤ ${TARGETS.zeroLagCd.toFixed(2)}`, ratio(s, 'c', 'd'), TARGETS.zeroLagCd)
    } else {
      add(`${name}: c/b ≤ ${TARGETS.laggedCb.toFixed(2)}`, ratio(s, 'c', 'b'), TARGETS.laggedCb)
    }
  }
  for (const s of deps) {
    for (const temperature of TEMPERATURES) {
      add(
        `${depsLabel(s.case)}, ${temperature} target dir: p/b ≤ ${DEPS_PUBLISH_LIMIT}`,
        depsRatio(s, 'p', temperature),
        DEPS_PUBLISH_LIMIT
      )
    }
  }
  if (facts?.nodeStartupMs !== undefined) {
    add(
      `\`dist/cli.js --version\` / \`node -e 0\` ≤ ${TARGETS.startup}`,
      facts.cliStartupMs / facts.nodeStartupMs,
      TARGETS.startup
    )
  }
  if (facts?.distBytes !== undefined) {
    const mb = facts.distBytes / 1e6
    checks.push({
      label: `committed dist/ ≤ ${TARGETS.distMb} MB`,
      value: mb,
      limit: TARGETS.distMb,
      ok: mb <= TARGETS.distMb,
      unit: 'MB'
    })
  }
  const rss = summaries.flatMap(s => (s.maxRssKb === undefined ? [] : [s.maxRssKb / 1024]))
  if (rss.length > 0) {
    const peak = Math.max(...rss)
    checks.push({
      label: `peak RSS of the rehearsal's own process, every case ≤ ${TARGETS.rssMib} MiB`,
      value: peak,
      limit: TARGETS.rssMib,
      ok: peak <= TARGETS.rssMib,
      unit: 'MiB'
    })
  }
  if (plan) {
    checks.push({
      label: `plan of ${plan.size} crates: computePlan − cargo metadata ≤ 2 s`,
      value: plan.overheadMs,
      limit: 2000,
      ok: plan.overheadMs <= 2000,
      unit: 'ms'
    })
  }
  return checks
}

const sec = (ms: number | undefined) => (ms === undefined ? '–' : (ms / 1000).toFixed(2))
const times = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(2))
const mib = (kb: number | undefined) => (kb === undefined ? '–' : (kb / 1024).toFixed(0))

function mark(ok: boolean | undefined): string {
  if (ok === undefined) return ''
  return ok ? ' ✓' : ' ✗'
}

function ratioCell(value: number | undefined, limit?: number): string {
  if (value === undefined) return '–'
  return `${times(value)}${limit === undefined ? '' : mark(value <= limit)}`
}

function casesTable(summaries: CaseSummary[], lagged: boolean): string[] {
  const withE = summaries.some(s => s.ms.e !== undefined)
  const rows = [
    '| shape | N | a (s) | b (s) | c (s) | d (s) | c/a | c/b | c/d | c peak RSS (MiB) |' +
      (withE ? ' e (s) | e/b |' : ''),
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|' + (withE ? '---:|---:|' : '')
  ]
  for (const s of summaries) {
    const cb = lagged ? TARGETS.laggedCb : TARGETS.zeroLagCb
    const cd = lagged ? undefined : TARGETS.zeroLagCd
    rows.push(
      `| ${s.case.shape} | ${s.case.size} | ${sec(s.ms.a)} | ${sec(s.ms.b)} | ${sec(s.ms.c)} | ` +
        `${sec(s.ms.d)}${s.dSource === 'zero-lag' ? '*' : ''} | ${ratioCell(ratio(s, 'c', 'a'))} | ` +
        `${ratioCell(ratio(s, 'c', 'b'), cb)} | ${ratioCell(ratio(s, 'c', 'd'), cd)} | ${mib(s.rssKb)} |` +
        (withE ? ` ${sec(s.ms.e)} | ${ratioCell(ratio(s, 'e', 'b'))} |` : '')
    )
  }
  return rows
}

function phasesTable(summaries: CaseSummary[]): string[] {
  const rows = [
    '| case | c: start + plan | c: registry + copy | c: package + verify | c: uploads | c total | b: package + verify | b: uploads | b total |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|'
  ]
  for (const s of summaries) {
    const c = s.cMarks
    const b = s.bMarks
    const span = (from: number | undefined, to: number | undefined) =>
      from === undefined || to === undefined ? undefined : to - from
    rows.push(
      `| ${caseLabel(s.case)} | ${sec(c.registry)} | ${sec(span(c.registry, c.package))} | ` +
        `${sec(span(c.package, c.upload))} | ${sec(span(c.upload, s.ms.c))} | ${sec(s.ms.c)} | ` +
        `${sec(b.upload)} | ${sec(span(b.upload, s.ms.b))} | ${sec(s.ms.b)} |`
    )
  }
  return rows
}

function depsTable(summaries: readonly DepsSummary[]): string[] {
  const rows = [
    '| case | target dir | b (s) | c (s) | p (s) | pa (s) | c/b | p/b | pa/b |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|'
  ]
  for (const s of summaries) {
    for (const temperature of TEMPERATURES) {
      const cell = (v: DepsVariant) => sec(s.ms[`${v} ${temperature}`])
      rows.push(
        `| ${s.case.shape} ${s.case.size} | ${temperature} | ${cell('b')} | ${cell('c')} | ` +
          `${cell('p')} | ${cell('pa')} | ${ratioCell(depsRatio(s, 'c', temperature))} | ` +
          `${ratioCell(depsRatio(s, 'p', temperature), DEPS_PUBLISH_LIMIT)} | ` +
          `${ratioCell(depsRatio(s, 'pa', temperature))} |`
      )
    }
  }
  return rows
}

/** The section of the case with real dependencies (bench/deps.ts). */
export function depsSection(summaries: readonly DepsSummary[], units: number): string[] {
  if (summaries.length === 0) return []
  const runs = Math.min(...summaries.map(s => s.runs))
  return [
    '## Real dependencies: publish after a content-bound rehearsal',
    '',
    `Each crate of a generated workspace (${units} code units per crate) also depends on serde ` +
      '(with derive), serde_json, regex, anyhow, thiserror and log and uses them; the crates.io ' +
      "stand-in is Debian's packaged crates (`/usr/share/cargo/registry`), so a verification build " +
      'is mostly dependencies, as in real projects. Internal dependencies carry `registry = "live"` ' +
      'and everything publishes to a "live" embedded registry:',
    '',
    ...DEPS_VARIANTS.map(v => `- **${v}**: ${DEPS_LABELS[v]}`),
    '',
    'p and pa publish behind the cold c of the same run (its state dir copied), each to a fresh ' +
      "live registry on the port the rehearsal saw (the plan_id includes the live registry's API " +
      'base). "cold" is an empty target dir; "warm" is a target dir that already built these ' +
      "sources (b's own previous run for b, the rehearsal's for c, p and pa), what the `cache` " +
      'input restores. Every measurement has a fresh CARGO_HOME and checks that each crate was ' +
      'uploaded exactly once; p must report the verification build skipped and pa must not. ' +
      `Median of ${runs} run(s). Target: p/b ≤ ${DEPS_PUBLISH_LIMIT}.`,
    '',
    ...depsTable(summaries),
    ''
  ]
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000)
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`
}

export function renderReport(report: BenchReport): string {
  const summaries = summarize(report.cases)
  const deps = summarizeDeps(report.deps ?? [])
  const checks = checkTargets(summaries, report.plan, deps, report)
  const zero = summaries.filter(s => s.case.lagMs === 0)
  const lagged = summaries.filter(s => s.case.lagMs > 0)
  const m = report.machine
  const loads = [
    ...report.cases.flatMap(r => Object.values(r.runs).flat()),
    ...(report.deps ?? []).flatMap(r => r.runs)
  ].flatMap(x => (x.load === undefined ? [] : [x.load]))
  const lines: string[] = [
    '# Benchmarks',
    '',
    `Written by \`${report.command}\` (${report.mode} run) on ${report.startedAt.toISOString()}; ` +
      `the run took ${duration(report.durationMs)}.`,
    '',
    '## Machine',
    '',
    `- CPU: ${m.cpu}, ${m.cores} cores (\`nproc\`); memory ${m.memoryGiB.toFixed(1)} GiB`,
    `- OS: ${m.os}; node ${m.node}`,
    `- ${m.cargo}; ${m.rustc}`,
    `- shipper-rehearse at commit ${m.commit}, CLI \`${report.cli}\` (sha256 ${report.cliSha256.slice(0, 12)}; node startup + \`--version\`: ${sec(report.cliStartupMs)} s${report.nodeStartupMs !== undefined ? `, bare \`node -e 0\`: ${sec(report.nodeStartupMs)} s` : ''}${report.distBytes !== undefined ? `; dist/ ${(report.distBytes / 1e6).toFixed(2)} MB` : ''})`,
    ...(loads.length > 0
      ? [
          `- 1-minute load average after each measurement: median ${times(median(loads))}, max ` +
            `${times(Math.max(...loads))} (a measurement alone puts up to ~${m.cores} on it; more means ` +
            'other work shared the machine)'
        ]
      : []),
    ''
  ]
  if (report.cases.length > 0) {
    lines.push(
      '## What is measured',
      '',
      ...(['a', 'b', 'c', 'd', 'e'] as const)
        .filter(v => v !== 'e' || report.cases.some(r => r.runs.e.length > 0))
        .map(v => `- **${v}**: ${VARIANT_LABELS[v]}`),
      ...(report.cliArgs.length > 0
        ? ['', `The rehearsal ran with extra flags: \`${report.cliArgs.join(' ')}\`.`]
        : []),
      '',
      `Each cell is the median of ${report.runs} run(s), wall time. Every run is cold: a fresh embedded ` +
        'registry, a fresh CARGO_HOME (crates-io replaced by an empty local directory, nothing reaches ' +
        'crates.io) and a fresh target dir; the variants of a run go in rotating order. a, b and d get a ' +
        'workspace whose internal dependencies carry `registry = "bench"`; c gets the plain workspace ' +
        '(as a user has it) and `--registry-url` of an embedded registry started by the runner, so all ' +
        `four publish to the same implementation. Workspaces are generated (bench/workspace.ts) with ${report.units} ` +
        'code units per crate; every run checks that each crate was uploaded exactly once.',
      ''
    )
  }
  if (zero.length > 0) {
    lines.push(
      '## No index lag',
      '',
      `Targets: c/b ≤ ${TARGETS.zeroLagCb.toFixed(2)}, c/d ≤ ${TARGETS.zeroLagCd.toFixed(2)}.`,
      '',
      ...casesTable(zero, false),
      ''
    )
  }
  if (lagged.length > 0) {
    const lagS = report.lagMs / 1000
    lines.push(
      `## ${lagS} s index lag`,
      '',
      `Every version becomes visible in the index ${lagS} s after its upload (crates.io-like), for ` +
        `all of a, b and c. Target: c/b ≤ ${TARGETS.laggedCb.toFixed(2)}.`,
      '',
      ...casesTable(lagged, true),
      '',
      '\\* d never uploads, so lag cannot change it: the zero-lag median is used.',
      ''
    )
  }
  if (summaries.length > 0) {
    lines.push(
      '## Where the time goes',
      '',
      "Median length of each phase (s), from the timestamps of the rehearsal's progress lines and " +
        'of cargo\'s status lines. "start + plan" is everything before the CLI turns to the registry: ' +
        'node startup, options, `cargo metadata` and the plan. "package + verify" ends at the first upload.',
      '',
      ...phasesTable(summaries),
      ''
    )
  }
  lines.push(...depsSection(deps, report.units))
  if (report.plan) {
    const p = report.plan
    lines.push(
      '## Plan computation at scale',
      '',
      `A generated lattice of ${p.size} crates (${p.levels} levels), median of ${p.runs} runs: ` +
        `\`cargo metadata --no-deps\` ${sec(p.metadataMs)} s, \`computePlan\` ${sec(p.computePlanMs)} s ` +
        `(it runs cargo metadata itself), so planning costs ${sec(p.overheadMs)} s beyond cargo metadata ` +
        '(target ≤ 2 s).',
      ''
    )
  }
  const rss = summaries.flatMap(s => (s.maxRssKb === undefined ? [] : [s.maxRssKb]))
  if (rss.length > 0) {
    lines.push(
      '## Peak RSS of the action process',
      '',
      `The rehearsal CLI's own node process (\`process.resourceUsage().maxRSS\` at exit, cargo and ` +
        `rustc excluded): at most ${mib(Math.max(...rss))} MiB over all runs; per case medians are in the tables.`,
      ''
    )
  }
  const missed = checks.filter(c => !c.ok)
  lines.push(
    '## Targets',
    '',
    `${checks.length - missed.length} of ${checks.length} met.`,
    '',
    ...checks.map(c => {
      const value =
        c.unit === 'ms'
          ? `${sec(c.value)} s`
          : c.unit === 'ratio'
            ? c.value.toFixed(3)
            : `${c.value.toFixed(1)} ${c.unit}`
      let miss = ''
      if (!c.ok) {
        miss =
          c.unit === 'ms'
            ? ` — missed by ${sec(c.value - c.limit)} s`
            : ` — missed by ${((c.value / c.limit - 1) * 100).toFixed(1)} %`
      }
      return `- ${c.ok ? '✓' : '✗'} ${c.label}: ${value}${miss}`
    }),
    '',
    '## Notes',
    '',
    NOTES_BEGIN,
    report.notes ?? '_No notes yet._',
    NOTES_END,
    ''
  )
  return lines.join('\n')
}
