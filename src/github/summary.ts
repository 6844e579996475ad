/**
 * The job summary: what a reviewer reads on the run page. `renderSummary` is a pure function of the
 * run's result; `writeSummary` is the only part that touches @actions/core.
 */
import { CRATES_IO } from '../crates-io.js'
import { relative } from 'node:path'
import type { Plan } from '../plan/types.js'
import type { CrateState, CrateStatus } from '../engine/status.js'
import type { Failure, RunResult } from '../result.js'
import { escapeHtml, formatDuration, plural, tableCell } from './format.js'
import { describeRateLimitWait, type LiveState, type ReleasePreview } from './preview.js'

export interface SummaryExtras {
  /** The live registry preview (rehearse mode). */
  preview?: ReleasePreview
  runUrl?: string
  /** Publish mode ran with `skip-rehearsal`: the gate was bypassed. */
  bypassed?: boolean
}

/** GitHub accepts 1 MiB per step; the margin leaves room for anything else the step appends. */
export const SUMMARY_BUDGET_BYTES = 1024 * 1024 - 64 * 1024

/** Above this mermaid refuses to draw (its default edge limit is 500), so the graph is left out. */
const GRAPH_MAX_EDGES = 500

const STATUS_LABEL: Record<CrateState, string> = {
  published: '✅ published',
  skipped: '⏭️ skipped',
  failed: '❌ failed',
  pending: '⏸️ not reached',
  'dry-run': '🧪 dry run'
}

/** Fill, stroke, text: GitHub's own palette for success, neutral, danger, default and accent. */
const STATUS_STYLE: Record<CrateState, string> = {
  published: 'fill:#2da44e,stroke:#1a7f37,color:#ffffff',
  skipped: 'fill:#d0d7de,stroke:#8c959f,color:#24292f',
  failed: 'fill:#cf222e,stroke:#a40e26,color:#ffffff',
  pending: 'fill:#ffffff,stroke:#8c959f,color:#24292f',
  'dry-run': 'fill:#ddf4ff,stroke:#0969da,color:#0a3069'
}

const STATUS_CLASS: Record<CrateState, string> = {
  published: 'published',
  skipped: 'skipped',
  failed: 'failed',
  pending: 'pending',
  'dry-run': 'dryrun'
}

const LIVE_LABEL: Record<LiveState, string> = {
  'already-published': 'already published',
  'new-crate': '🆕 new crate',
  'new-version': 'new version',
  unknown: '❔ unknown'
}

interface RenderLimits {
  /** Bytes of cargo's stderr to keep (its tail); undefined = all. */
  stderrBytes?: number
  graph: boolean
}

function banner(result: RunResult, bypassed: boolean): string {
  const { mode, outcome } = result
  if (mode === 'rehearse') {
    if (outcome === 'passed') return '✅ Rehearsal passed'
    if (outcome === 'failed') return '❌ Rehearsal failed'
    if (outcome === 'skipped') return '⚠️ Rehearsal skipped — nothing was rehearsed'
  } else {
    if (outcome === 'published' && result.published.length === 0)
      return bypassed
        ? '✅ Already published, nothing uploaded — without a rehearsal'
        : '✅ Already published, nothing uploaded'
    if (outcome === 'published')
      return bypassed ? '🚀 Published — without a rehearsal' : '🚀 Published'
    if (outcome === 'failed') return '❌ Publish failed'
    if (outcome === 'refused') return '⛔ Publish refused'
    if (outcome === 'dry-run') return '🧪 Dry run — nothing was uploaded'
  }
  return `${mode}: ${outcome}`
}

/** Rows in plan order: the run's outcomes, or the plan itself when the run stopped before any. */
function rows(result: RunResult): CrateStatus[] {
  if (result.packages.length > 0 || !result.plan) return result.packages
  return result.plan.packages.map(p => ({
    name: p.name,
    version: p.version,
    level: p.level,
    status: 'pending',
    durationMs: 0
  }))
}

function countLine(packages: CrateStatus[]): string {
  const order: CrateState[] = ['published', 'dry-run', 'skipped', 'failed', 'pending']
  const parts = order
    .map(s => [s, packages.filter(p => p.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s === 'pending' ? 'not reached' : s === 'dry-run' ? 'dry run' : s}`)
  return `${packages.length}${parts.length ? `: ${parts.join(', ')}` : ''}`
}

function elapsed(result: RunResult): string | undefined {
  const ms = Date.parse(result.completedAt) - Date.parse(result.startedAt)
  return Number.isFinite(ms) && ms >= 0 ? formatDuration(ms) : undefined
}

function facts(result: RunResult, packages: CrateStatus[], runUrl: string | undefined): string[] {
  const lines: string[] = []
  if (result.plan) lines.push(`- **plan_id** \`${result.plan.planId}\``)
  if (result.digest) lines.push(`- **content digest** \`${result.digest.digest}\``)
  if (result.mode === 'rehearse' && result.registry) {
    const r = result.registry
    const kind = r.embedded ? 'embedded registry' : 'registry'
    lines.push(`- **rehearsed against** \`${tableCell(r.name)}\` (${kind} at ${tableCell(r.url)})`)
  }
  if (result.mode === 'publish' && result.plan) {
    lines.push(
      `- **target** \`${tableCell(result.plan.registry)}\` (${tableCell(result.plan.apiBase)})`
    )
    lines.push(`- **uploaded by this run** ${result.published.length}`)
  }
  lines.push(`- **crates** ${countLine(packages)}`)
  const took = elapsed(result)
  if (took) lines.push(`- **took** ${took}`)
  if (result.cargoLog) {
    const where =
      result.artifactId !== undefined
        ? `, also in the artifact uploaded by this run (id ${result.artifactId})`
        : ''
    lines.push(`- **full cargo log** \`${tableCell(logLabel(result))}\` in the state dir${where}`)
  }
  if (runUrl) lines.push(`- **run** ${runUrl}`)
  return lines
}

function loudNotice(result: RunResult, bypassed: boolean): string[] {
  const planId = result.plan ? ` \`${result.plan.planId.slice(0, 12)}\`` : ''
  if (result.mode === 'rehearse' && result.outcome === 'skipped') {
    return [
      '> [!CAUTION]',
      '> `skip-rehearsal` is set: no crate was published to a rehearsal registry and no passing',
      `> receipt exists for plan${planId}. This run proves nothing about the release, and publishing`,
      '> this plan will be refused unless the gate is bypassed too.'
    ]
  }
  if (result.mode === 'publish' && bypassed) {
    return [
      '> [!CAUTION]',
      `> The rehearsal gate was bypassed (\`skip-rehearsal\`): this run went ahead without a rehearsal`,
      `> for plan${planId}. \`rehearse-events.jsonl\` records the bypass; no rehearsal is on record.`
    ]
  }
  return []
}

function table(packages: CrateStatus[]): string[] {
  if (packages.length === 0) return []
  const lines = [
    '| # | crate | version | level | status | duration |',
    '|---:|---|---|---:|---|---:|'
  ]
  packages.forEach((p, i) => {
    const status = STATUS_LABEL[p.status] + (p.reason ? ` — ${tableCell(p.reason)}` : '')
    const took = p.status === 'pending' ? '—' : formatDuration(p.durationMs)
    lines.push(
      `| ${i + 1} | \`${tableCell(p.name)}\` | ${tableCell(p.version)} | ${p.level} | ${status} | ${took} |`
    )
  })
  return lines
}

function notInPlan(plan: Plan | undefined): string[] {
  if (!plan || plan.skipped.length === 0) return []
  return titled(
    '**Not in the plan:**',
    plan.skipped.map(
      s => `- \`${tableCell(s.name)}\` ${tableCell(s.version)} — ${tableCell(s.reason)}`
    )
  )
}

function graph(plan: Plan | undefined, packages: CrateStatus[]): string[] {
  if (!plan || plan.packages.length === 0) return []
  const ids = new Map(plan.packages.map((p, i) => [p.name, `c${i}`]))
  const statusOf = new Map(packages.map(p => [p.name, p.status]))
  const edges: string[] = []
  for (const p of plan.packages) {
    for (const dep of p.dependencies) {
      const from = ids.get(dep)
      if (from) edges.push(`  ${from} --> ${ids.get(p.name)}`)
    }
  }
  if (edges.length > GRAPH_MAX_EDGES) {
    return [`_The plan graph has ${edges.length} edges, too many to draw._`]
  }
  const used = new Set<CrateState>()
  const nodes = plan.packages.map(p => {
    const status = statusOf.get(p.name) ?? 'pending'
    used.add(status)
    return `  ${ids.get(p.name)}["${p.name}@${p.version}"]:::${STATUS_CLASS[status]}`
  })
  const classDefs = (Object.keys(STATUS_STYLE) as CrateState[])
    .filter(s => used.has(s))
    .map(s => `  classDef ${STATUS_CLASS[s]} ${STATUS_STYLE[s]}`)
  return ['```mermaid', 'flowchart LR', ...nodes, ...edges, ...classDefs, '```']
}

function quote(text: string): string[] {
  return text
    .trimEnd()
    .split(/\r?\n/)
    .map(l => `> ${escapeHtml(l)}`.trimEnd())
}

/** Bytes `text` takes once HTML-escaped, which is how it lands in the summary. */
function escapedBytes(text: string): number {
  return Buffer.byteLength(escapeHtml(text))
}

/** The end of `text` that takes at most `maxBytes` escaped bytes, cut at a line start. */
function tailBytes(text: string, maxBytes: number): { text: string; dropped: number } {
  const lines = text.split('\n')
  let size = 0
  let keep = 0
  for (let i = lines.length - 1; i >= 0; i--) {
    const next = size + escapedBytes(lines[i] as string) + 1
    if (next > maxBytes) break
    size = next
    keep += 1
  }
  return { text: lines.slice(lines.length - keep).join('\n'), dropped: lines.length - keep }
}

function stderrBlock(stderr: string, limits: RenderLimits): string[] {
  const trimmed = stderr.replace(/\s+$/, '')
  if (!trimmed) return []
  const { text, dropped } =
    limits.stderrBytes === undefined
      ? { text: trimmed, dropped: 0 }
      : tailBytes(trimmed, limits.stderrBytes)
  if (!text) {
    return [
      `_cargo's output (${plural(dropped, 'line')}) was left out to fit the summary; the step log has it._`
    ]
  }
  const shown = text.split('\n').length
  const cut = dropped > 0 ? `; ${plural(dropped, 'earlier line')} cut to fit the summary` : ''
  return [
    '<details>',
    `<summary>cargo's errors (${plural(shown, 'line')}${cut}; the full cargo log has everything)</summary>`,
    '',
    `<pre><code>${escapeHtml(text)}</code></pre>`,
    '',
    '</details>'
  ]
}

function logLabel(result: RunResult): string {
  const log = result.cargoLog as string
  return result.plan ? manifestLabel(result.plan, log) : log
}

/** Each smoke check with its result and how long it took. */
function smokeTable(result: RunResult): string[] {
  const checks = result.smoke ?? []
  if (checks.length === 0) return []
  return [
    '| check | result | took |',
    '|---|---|---|',
    ...checks.map(c => {
      const what =
        c.kind === 'install'
          ? `\`cargo install ${tableCell(c.name)}@${tableCell(c.version)}\``
          : 'consumer build of every library crate'
      return `| ${what} | ${c.ok ? 'passed' : '**failed**'} | ${formatDuration(c.durationMs)} |`
    })
  ]
}

function manifestLabel(plan: Plan | undefined, manifestPath: string): string {
  const rel = plan ? relative(plan.workspaceRoot, manifestPath).replace(/\\/g, '/') : manifestPath
  return rel && !rel.startsWith('..') ? rel : manifestPath
}

function failureSection(result: RunResult, failure: Failure, limits: RenderLimits): string[] {
  const hint = (label: string) => (failure.hint ? [`**${label}** ${escapeHtml(failure.hint)}`] : [])
  const stderr = stderrBlock(failure.stderrTail ?? '', limits)
  if (failure.class === 'refused' || result.outcome === 'refused') {
    return blocks(
      ['### Why publishing was refused'],
      quote(failure.message),
      hint('How to fix it:'),
      stderr
    )
  }
  const where = failure.crate
    ? `**\`${failure.crate.name}@${failure.crate.version}\`** (\`${tableCell(manifestLabel(result.plan, failure.crate.manifestPath))}\`) — `
    : ''
  return blocks(
    ['### What failed'],
    [`${where}class \`${failure.class}\``],
    quote(failure.message),
    hint('Fix:'),
    stderr
  )
}

function previewSection(preview: ReleasePreview): string[] {
  const live = preview.registry === CRATES_IO.name ? 'crates.io' : preview.registry
  const lines = [
    `### Release preview: publishing to ${tableCell(live)}`,
    '',
    `| crate | version | on ${tableCell(live)} today | when published |`,
    '|---|---|---|---|'
  ]
  for (const c of preview.crates) {
    let today = LIVE_LABEL[c.state]
    if (c.state === 'new-version' && c.lastPublished)
      today += ` (last ${tableCell(c.lastPublished)})`
    if (c.yanked) today += ' (yanked)'
    const then =
      c.state === 'already-published'
        ? 'skipped'
        : c.state === 'new-crate'
          ? 'first publish: needs a regular token'
          : c.state === 'new-version'
            ? 'published'
            : '—'
    lines.push(`| \`${tableCell(c.name)}\` | ${tableCell(c.version)} | ${today} | ${then} |`)
  }
  const wait = describeRateLimitWait(preview)
  return blocks(
    lines,
    wait ? [`**Rate-limit wait:** ${escapeHtml(wait)}`] : [],
    preview.notes.map(note => `- ${escapeHtml(note)}`)
  )
}

/** Blocks separated by one blank line; empty blocks vanish. */
function blocks(...parts: string[][]): string[] {
  return parts.filter(p => p.length > 0).flatMap((p, i) => (i === 0 ? p : ['', ...p]))
}

function titled(title: string, body: string[]): string[] {
  return body.length ? [title, '', ...body] : []
}

function render(result: RunResult, extras: SummaryExtras, limits: RenderLimits): string {
  const bypassed = extras.bypassed === true
  const packages = rows(result)
  const failed = result.outcome === 'failed' || result.outcome === 'refused'
  const out = blocks(
    [`## ${banner(result, bypassed)}`],
    loudNotice(result, bypassed),
    facts(result, packages, extras.runUrl),
    failed && result.failure ? failureSection(result, result.failure, limits) : [],
    titled('### Crates in plan order', table(packages)),
    titled('### Smoke checks', smokeTable(result)),
    notInPlan(result.plan),
    limits.graph ? titled('### Plan', graph(result.plan, packages)) : [],
    extras.preview && result.mode === 'rehearse' ? previewSection(extras.preview) : []
  )
  return `${out.join('\n')}\n`
}

/** Cuts `text` to `maxBytes` bytes of UTF-8 without leaving half a character behind. */
function cutBytes(text: string, maxBytes: number): string {
  return Buffer.from(text)
    .subarray(0, maxBytes)
    .toString('utf8')
    .replace(/\uFFFD+$/, '')
}

/**
 * The job summary as markdown. It stays under `budgetBytes`: cargo's output is cut first (keeping
 * its end, where the error is), then the graph goes, and only then is the text itself cut.
 */
export function renderSummary(
  result: RunResult,
  extras: SummaryExtras = {},
  budgetBytes = SUMMARY_BUDGET_BYTES
): string {
  const full = render(result, extras, { graph: true })
  const size = Buffer.byteLength(full)
  if (size <= budgetBytes) return full
  const stderr = (result.failure?.stderrTail ?? '').replace(/\s+$/, '')
  // The margin covers the longer `<summary>` line that says how much was cut.
  const room = escapedBytes(stderr) - (size - budgetBytes) - 256
  const withShortStderr = render(result, extras, { graph: true, stderrBytes: Math.max(0, room) })
  if (Buffer.byteLength(withShortStderr) <= budgetBytes) return withShortStderr
  const noGraph = render(result, extras, { graph: false, stderrBytes: 0 })
  if (Buffer.byteLength(noGraph) <= budgetBytes) return noGraph
  return fitBytes(noGraph, budgetBytes)
}

/** Last resort for text that is still too big: cut it and say so. */
function fitBytes(text: string, budgetBytes: number): string {
  if (Buffer.byteLength(text) <= budgetBytes) return text
  const note = '\n\n_Summary cut to fit GitHub’s 1 MiB limit._\n'
  return cutBytes(text, budgetBytes - Buffer.byteLength(note)) + note
}

/** The part of @actions/core's summary this module uses. */
export interface SummaryWriter {
  addRaw(text: string, addEOL?: boolean): SummaryWriter
  write(): Promise<unknown>
}

export async function writeSummary(
  markdown: string,
  core: { summary: SummaryWriter }
): Promise<void> {
  await core.summary.addRaw(fitBytes(markdown, SUMMARY_BUDGET_BYTES), true).write()
}
