/**
 * How a rehearsal failure is worded for the person who has to fix it: which crate, which class,
 * what to do next, and paths named in their checkout rather than in the scratch copy.
 */
import { statSync } from 'node:fs'
import { dirname } from 'node:path'
import { anchorLocation, cargoEvidence } from '../cargo/diagnostics.js'
import { classifyCargoFailure, type FailureClass } from '../cargo/classify.js'
import { InterruptedError } from '../cargo/interrupt.js'
import { UserError } from '../errors.js'
import type { Logger } from '../log.js'
import { cargoErrorLine } from '../plan/cargo-error.js'
import type { Plan, PlannedCrate } from '../plan/types.js'
import type { Failure } from '../result.js'
import type { CrateStatus } from '../engine/status.js'

type Scrub = (text: string) => string

/** The crate a failure names, as the record shows it. */
export function failedCrate(crate: PlannedCrate): NonNullable<Failure['crate']> {
  return { name: crate.name, version: crate.version, manifestPath: crate.manifestPath }
}

/** `cargo package` failed for the plan, or for one crate of it when cargo says which. */
export function packagingFailure(
  stderr: string,
  crate: PlannedCrate | undefined,
  plan: Plan,
  now: number,
  scrub: Scrub
): Failure & { class: FailureClass } {
  const classified = classifyCargoFailure(stderr, { now })
  const what = crate ? `packaging ${crate.name}@${crate.version}` : 'packaging the plan'
  const error = cargoErrorLine(stderr)
  const located = crate
    ? anchorLocation(error, dirname(crate.manifestPath), plan.workspaceRoot, isFile)
    : error
  return {
    crate: crate && failedCrate(crate),
    class: classified.class,
    message: scrub(`${what} failed: ${located}`),
    hint: packageHint(plan, stderr, classified),
    stderrTail: scrub(cargoEvidence(stderr))
  }
}

/** A cycle-closing dev-dependency missing from the live registry deserves the plan's own advice. */
function packageHint(
  plan: Plan,
  stderr: string,
  classified: { class: string; reason: string; fix?: string }
): string {
  for (const edge of plan.droppedDevEdges) {
    if (stderr.includes(`no matching package named \`${edge.to}\``)) {
      return `${edge.from} dev-depends on ${edge.to} ${edge.req} through a cycle, which resolves from versions already on ${plan.registry}; drop the version from that dev-dependency (keep only its path) so cargo strips it`
    }
  }
  if (classified.fix) return `${classified.reason}: ${classified.fix}`
  if (classified.class === 'permanent') {
    return `${classified.reason}; a publish of this plan would fail the same way`
  }
  if (classified.class === 'retryable') {
    return `${classified.reason}; packaging could not reach a registry it needs: run the rehearsal again once it answers`
  }
  return `${classified.reason}; cargo's output below says more`
}

/** The first crate whose upload failed, as the run's failure. */
export function uploadFailure(plan: Plan, crates: readonly CrateStatus[]): Failure | undefined {
  const failed = crates.find(c => c.status === 'failed')
  if (!failed?.failure) return undefined
  const crate = plan.packages.find(c => c.name === failed.name) as PlannedCrate
  return {
    crate: failedCrate(crate),
    class: failed.failure.class,
    message: failed.failure.message,
    hint: failed.failure.hint ?? '',
    ...(failed.failure.stderrTail ? { stderrTail: failed.failure.stderrTail } : {})
  }
}

/** Anything a step threw: interruptions and user errors keep their wording, the rest is a bug. */
export function unexpectedFailure(error: unknown, scrub: Scrub, logger: Logger): Failure {
  if (error instanceof InterruptedError) {
    return { class: 'ambiguous', message: error.message, hint: error.hint }
  }
  if (error instanceof UserError) {
    return {
      class: error.exitCode === 2 ? 'input' : 'permanent',
      message: scrub(error.message),
      hint: error.hint
    }
  }
  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
  return {
    class: 'ambiguous',
    message: scrub(`rehearsal aborted: ${error instanceof Error ? error.message : String(error)}`),
    hint: 'this is unexpected; the log above has the details'
  }
}

/** Every text of a failure scrubbed, whichever step produced it. */
export function inUserTerms(failure: Failure, scrub: Scrub): Failure {
  return {
    ...failure,
    message: scrub(failure.message),
    hint: scrub(failure.hint),
    ...(failure.stderrTail ? { stderrTail: scrub(failure.stderrTail) } : {})
  }
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false
}
