import type { RunResult } from './result.js'

/** The action's outputs (docs/contract.md) as strings, from a run's result. Pure. */
export function resultOutputs(result: RunResult, artifactId = ''): Record<string, string> {
  const passed =
    result.outcome === 'passed' || result.outcome === 'published' || result.outcome === 'dry-run'
  return {
    outcome: result.outcome,
    passed: String(passed),
    'plan-id': result.plan?.planId ?? '',
    'content-digest': result.digest?.digest ?? '',
    packages: JSON.stringify(
      result.packages.map(p => ({
        name: p.name,
        version: p.version,
        status: p.status,
        duration_ms: p.durationMs
      }))
    ),
    published: JSON.stringify(result.published.map(p => ({ name: p.name, version: p.version }))),
    'receipt-path': result.receiptPath ?? '',
    'events-path': result.eventsPath ?? '',
    'artifact-id': artifactId
  }
}

/** Exit code of a finished run: failures and refusals are 1; input errors never get here. */
export function resultExitCode(result: RunResult): number {
  return result.outcome === 'failed' || result.outcome === 'refused' ? 1 : 0
}

/**
 * The verdict in words: a publish run that uploaded nothing (every version was already live) is
 * not called "published", whatever the `outcome` output says.
 */
export function outcomeWording(result: RunResult): string {
  if (result.mode === 'publish' && result.outcome === 'published' && result.published.length === 0)
    return 'already published, nothing uploaded'
  return result.outcome
}

/** How a crate's status reads on a terminal: `pending` there means the run never got to it. */
function statusWord(status: RunResult['packages'][number]['status']): string {
  return status === 'pending' ? 'not reached' : status
}

/**
 * A few lines for a terminal: one per crate, then the verdict. A failure is told once: what
 * failed and where, the fix, cargo's error blocks, and where the full cargo log is.
 */
export function resultLines(result: RunResult): string[] {
  const lines: string[] = []
  const width = Math.max(0, ...result.packages.map(p => `${p.name}@${p.version}`.length))
  for (const p of result.packages) {
    const id = `${p.name}@${p.version}`.padEnd(width)
    const extra = p.reason ? ` (${p.reason})` : ''
    lines.push(
      `  ${id}  level ${p.level}  ${statusWord(p.status).padEnd(11)} ${(p.durationMs / 1000).toFixed(1)}s${extra}`
    )
  }
  for (const check of result.smoke ?? []) {
    const what =
      check.kind === 'install' ? `cargo install ${check.name}@${check.version}` : 'consumer build'
    lines.push(
      `  smoke: ${what}  ${check.ok ? 'ok' : 'FAILED'}  ${(check.durationMs / 1000).toFixed(1)}s`
    )
  }
  if (result.plan) lines.push(`plan_id ${result.plan.planId}`)
  if (result.digest) lines.push(`content ${result.digest.digest}`)
  if (result.failure) {
    const where = result.failure.crate
      ? ` at ${result.failure.crate.name}@${result.failure.crate.version}`
      : ''
    lines.push(`${result.outcome}${where}: ${result.failure.message}`)
    if (result.failure.hint) lines.push(`hint: ${result.failure.hint}`)
    if (result.failure.stderrTail) {
      lines.push("cargo's errors:")
      for (const l of result.failure.stderrTail.split('\n')) lines.push(`  | ${l}`)
    }
  } else {
    lines.push(`outcome: ${outcomeWording(result)}`)
  }
  if (result.receiptPath) lines.push(`receipt: ${result.receiptPath}`)
  if (result.eventsPath) lines.push(`events:  ${result.eventsPath}`)
  if (result.cargoLog) lines.push(`cargo log: ${result.cargoLog}`)
  return lines
}
