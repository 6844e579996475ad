import type { Event, Fact } from '../record/events.js'
import { FACTS_FILE } from '../record/facts.js'
import { toolchainDifference, type Toolchain } from '../bind/toolchain.js'
import type { ReadRehearsalResult, RehearsalReceipt } from '../record/rehearsal.js'
import { TOOL } from '../version.js'
import { targetMismatch, type LiveTargetOfPlan } from './target-proof.js'

export type GateRefusalReason =
  | 'no_receipt'
  | 'invalid_receipt'
  | 'stale_plan'
  | 'failed_rehearsal'
  | 'stale_content'
  | 'inconsistent'

export interface GateInput {
  /** Operator bypass (`skip-rehearsal`). */
  skipRehearsal: boolean
  bind: 'plan' | 'content'
  /** plan_id of the plan about to be published. */
  planId: string
  /** Content digest of the sources about to be published. */
  contentDigest: string
  /** Per-crate content digests of the sources about to be published, by crate name. */
  perCrateDigest: Record<string, string>
  /** sha256 of the current Cargo.lock, when there is one. */
  lockSha256?: string
  receipt: ReadRehearsalResult
  /** Where the receipt was looked for, for messages. */
  receiptPath: string
  /**
   * The accompanying events.jsonl, when present: its last `rehearsal_complete` event (null when
   * it has none) and the numbers of lines that could not be read. Omitted when there is no file.
   */
  events?: {
    complete?: { passed: boolean; plan_id: string } | null
    badLines: number[]
    /** Lines with a key twice in one object. */
    duplicateKeyLines?: number[]
    /** The file's size when it is over the cap (it was not read). */
    oversized?: { bytes: number; cap: number }
    /**
     * Whether the file starts with the bytes the receipt's `events_sha256` names; undefined when
     * the receipt names none.
     */
    matchesReceipt?: boolean
  }
  /** False when the workspace commits no Cargo.lock (the digest bound the lock cargo resolved). */
  lockCommitted?: boolean
  /** `cargo -V` / `rustc -vV` of this run; compared under `bind: content`. */
  toolchain?: Toolchain
  /** What this action's facts file beside the receipt says about the last rehearsal. */
  facts?: GateFacts
  /** A concrete way to produce a receipt, quoted in hints. */
  howToRehearse: string
  /** Why the proof could not be fetched, when the artifact service failed to answer. */
  unavailable?: string
  /** The live registry of this publish, and the flags that rehearse for it. */
  target?: LiveTargetOfPlan
}

/** The facts (rehearse-events.jsonl) the gate needs, reduced to what it checks. */
export interface GateFacts {
  /** When the last rehearsal recorded in this state dir was bypassed with `skip-rehearsal`. */
  bypassedAt?: string
  /** `name@version` of the crates the last rehearsal found already uploaded with its bytes. */
  skipped: string[]
}

/**
 * Reduces the facts file to the last rehearsal's facts: those not older than its
 * `rehearsal_started` event (a state dir keeps the records of earlier runs too). Pure.
 */
export function gateFacts(events: readonly Event[], facts: readonly Fact[]): GateFacts {
  const starts = events.filter(e => e.event_type.type === 'rehearsal_started')
  const since = starts.length > 0 ? Date.parse(starts[starts.length - 1]!.timestamp) : -Infinity
  const recent = facts.filter(f => Date.parse(f.timestamp) >= since)
  const bypass = recent.filter(f => f.event_type.type === 'rehearsal_bypassed').pop()
  return {
    ...(bypass ? { bypassedAt: bypass.timestamp } : {}),
    skipped: recent.flatMap(f =>
      f.event_type.type === 'rehearsal_package_skipped'
        ? [`${f.event_type.name}@${f.event_type.version}`]
        : []
    )
  }
}

export type GateDecision =
  | { decision: 'proceed'; bypassed: boolean; message: string }
  | { decision: 'refuse'; reason: GateRefusalReason; message: string; hint: string }

/**
 * The publish gate: docs/formats.md's steps, in order, as a pure function of what was read. The first
 * step that applies decides, so a receipt that is both stale and failed is refused as stale.
 */
export function decideGate(input: GateInput): GateDecision {
  const how = oneLine(input.howToRehearse)

  if (input.skipRehearsal) {
    return {
      decision: 'proceed',
      bypassed: true,
      message:
        `skip-rehearsal is set: publishing is proceeding WITHOUT a rehearsal for plan_id ` +
        `${input.planId}; the event log will show no rehearsal for it, and ${FACTS_FILE} records the bypass`
    }
  }

  if (input.unavailable !== undefined) {
    return refuse(
      'no_receipt',
      `the rehearsal proof (${input.receiptPath}) could not be fetched: ${oneLine(input.unavailable)}`,
      `nothing was published; re-run this job once the artifact service answers (a passed rehearsal need not be repeated), or if its artifact is gone: ${how}`
    )
  }

  const read = input.receipt
  if (read.kind === 'missing') {
    const bypassed = input.facts?.bypassedAt
    return refuse(
      'no_receipt',
      `no rehearsal receipt at ${input.receiptPath}` +
        (bypassed
          ? `: the rehearsal recorded beside it was bypassed with skip-rehearsal at ${bypassed}, so nothing was rehearsed`
          : ''),
      `produce one by rehearsing this plan first: ${how}`
    )
  }
  if (read.kind === 'invalid') {
    return refuse(
      'invalid_receipt',
      `rehearsal receipt at ${input.receiptPath} is invalid: ${oneLine(read.problem)}`,
      `rehearse again to write a fresh receipt: ${how}`
    )
  }
  const receipt = read.receipt

  if (receipt.plan_id !== input.planId) {
    const otherTarget = targetMismatch(receipt, input.target, how)
    if (otherTarget) return otherTarget
    return refuse(
      'stale_plan',
      `rehearsal receipt is stale: it was made for plan_id ${receipt.plan_id}, ` +
        `but the current plan_id is ${input.planId}`,
      `the crates, versions, order or target registry changed since that rehearsal; ` +
        `rehearse the current plan: ${how}`
    )
  }

  if (!receipt.passed) {
    return refuse(
      'failed_rehearsal',
      `the rehearsal of plan_id ${receipt.plan_id} did not pass: "${oneLine(receipt.summary)}"`,
      `fix that failure, then rehearse again: ${how}`
    )
  }

  if (input.bind === 'content') {
    const refusal = checkContent(input, receipt, how) ?? checkToolchain(input, receipt, how)
    if (refusal) return refusal
  }

  const proofRefusal = checkProofFiles(input, receipt, how)
  if (proofRefusal) return proofRefusal

  const badLines = input.events?.badLines ?? []
  if (input.events) {
    const complete = input.events.complete ?? null
    const where = `the events.jsonl beside ${input.receiptPath}`
    const eventsHint =
      `the receipt and the event log must come from the same rehearsal; download both from ` +
      `one rehearsal artifact, or rehearse again: ${how}`
    if (!complete) {
      return refuse(
        'inconsistent',
        `${where} has no rehearsal_complete event to confirm the receipt${skipped(badLines)}`,
        eventsHint
      )
    }
    if (complete.passed !== receipt.passed || complete.plan_id !== receipt.plan_id) {
      return refuse(
        'inconsistent',
        `the receipt says passed=${receipt.passed} for plan_id ${receipt.plan_id}, but the last ` +
          `rehearsal_complete event in ${where} says passed=${complete.passed} for plan_id ` +
          `${complete.plan_id}${skipped(badLines)}`,
        eventsHint
      )
    }
  }

  // Beyond docs/formats.md: a receipt edited by hand gives itself away, with or without its events.
  const contradiction = selfContradiction(receipt)
  if (contradiction) {
    return refuse(
      'inconsistent',
      `the receipt at ${input.receiptPath} says passed=true but ${contradiction}`,
      `a passing receipt must account for every crate; rehearse again: ${how}`
    )
  }
  const unrecorded = unrecordedSkips(receipt, input.facts)
  if (unrecorded.length > 0) {
    return refuse(
      'inconsistent',
      `the receipt at ${input.receiptPath} says ${unrecorded.join(', ')} ${unrecorded.length === 1 ? 'was' : 'were'} ` +
        `already in the rehearsal registry, but the ${FACTS_FILE} beside it records no such skip`,
      `download every file of one rehearsal artifact, or rehearse again: ${how}`
    )
  }
  // A receipt that binds content or names its log is never judged without that log, whatever
  // its `tool` says: stripping the log (and `tool`) must not get past the comparison above.
  if (
    !input.events &&
    (receipt.tool?.name === TOOL.name ||
      receipt.content_digest !== undefined ||
      receipt.events_sha256 !== undefined)
  ) {
    return refuse(
      'inconsistent',
      `the events.jsonl that ${TOOL.name} writes beside every receipt is missing next to ${input.receiptPath}`,
      `download both files from one rehearsal artifact, or rehearse again: ${how}`
    )
  }

  const crates = receipt.packages?.map(p => `${p.name}@${p.version}`)
  const what = crates
    ? `${crates.length} package${crates.length === 1 ? '' : 's'} (${crates.join(', ')})`
    : `${receipt.packages_published} package${receipt.packages_published === 1 ? '' : 's'}`
  const content = input.bind === 'content' ? `; content digest ${input.contentDigest} matches` : ''
  return {
    decision: 'proceed',
    bypassed: false,
    message:
      `rehearsal accepted: ${what} rehearsed against '${receipt.registry}' for plan_id ` +
      `${receipt.plan_id}, completed ${receipt.completed_at}${content}${skipped(badLines)}`
  }
}

/** A passing receipt whose own counts or per-crate statuses say otherwise: edited by hand. */
function selfContradiction(receipt: RehearsalReceipt): string | undefined {
  if (receipt.packages_published !== receipt.packages_attempted) {
    return `packages_published is ${receipt.packages_published} of packages_attempted ${receipt.packages_attempted}`
  }
  const bad = receipt.packages?.filter(p => p.status !== 'published' && p.status !== 'skipped')
  if (bad && bad.length > 0) {
    return `its packages say ${bad.map(p => `${p.name}@${p.version} ${p.status}`).join(', ')}`
  }
  return undefined
}

/**
 * Crates this action's receipt calls skipped that its facts file does not confirm. A skip counts
 * as rehearsed (the registry had these exact bytes), so it must be on record like an upload.
 */
function unrecordedSkips(receipt: RehearsalReceipt, facts: GateFacts | undefined): string[] {
  if (receipt.tool?.name !== TOOL.name) return []
  const recorded = new Set(facts?.skipped ?? [])
  return (receipt.packages ?? [])
    .filter(p => p.status === 'skipped')
    .map(p => `${p.name}@${p.version}`)
    .filter(key => !recorded.has(key))
}

function checkContent(
  input: GateInput,
  receipt: RehearsalReceipt,
  how: string
): GateDecision | null {
  if (receipt.content_digest === undefined) {
    // A plan-only receipt (shipper writes no content digest) cannot prove which sources passed.
    return refuse(
      'stale_content',
      `rehearsal receipt at ${input.receiptPath} records no content_digest, so bind: content ` +
        `cannot check which sources were rehearsed`,
      `set bind: plan to accept a plan-only receipt (e.g. one written by shipper), or rehearse ` +
        `with this action to record a content digest: ${how}`
    )
  }
  if (receipt.content_digest === input.contentDigest) return null
  return refuse(
    'stale_content',
    `sources changed since the rehearsal: content digest ${receipt.content_digest} was ` +
      `rehearsed, ${input.contentDigest} is current; ${describeLockChange(receipt, input.lockSha256)}${describeCrateChanges(receipt, input.perCrateDigest)}`,
    input.lockCommitted === false
      ? `this workspace commits no Cargo.lock, so a dependency released since the rehearsal changes the lock cargo resolves: commit Cargo.lock, then rehearse again: ${how}`
      : `rehearse the current sources: ${how}`
  )
}

/**
 * Cargo.lock is packaged with every crate: when it is what changed, every crate reads as changed,
 * and the refusal must say that the lock is the cause.
 */
function describeLockChange(receipt: RehearsalReceipt, current: string | undefined): string {
  const rehearsed = receipt.cargo_lock_sha256
  if (typeof rehearsed !== 'string' || rehearsed === (current ?? '')) return ''
  if (current === undefined)
    return 'Cargo.lock was removed since the rehearsal (every crate packages it); '
  return 'Cargo.lock changed since the rehearsal (every crate packages it, so every crate below reads as changed); '
}

function checkToolchain(
  input: GateInput,
  receipt: RehearsalReceipt,
  how: string
): GateDecision | null {
  if (!input.toolchain) return null
  if (!receipt.toolchain) {
    return refuse(
      'stale_content',
      `rehearsal receipt at ${input.receiptPath} records no toolchain, so bind: content cannot check that the rehearsal built with this one`,
      `rehearse with this version of the action, which records it: ${how}`
    )
  }
  const difference = toolchainDifference(receipt.toolchain, input.toolchain)
  if (!difference) return null
  return refuse(
    'stale_content',
    `the toolchain changed since the rehearsal: ${oneLine(difference)}`,
    `publish with the toolchain the rehearsal used (pin it in rust-toolchain.toml or the workflow's toolchain step), or rehearse again with this one: ${how}`
  )
}

/** The event log must be the one the receipt was written with, whole and unambiguous. */
function checkProofFiles(
  input: GateInput,
  receipt: RehearsalReceipt,
  how: string
): GateDecision | null {
  const events = input.events
  if (!events) return null
  const where = `the events.jsonl beside ${input.receiptPath}`
  const hint = `download the receipt and the event log from one rehearsal artifact, or rehearse again: ${how}`
  if (events.oversized) {
    return refuse(
      'inconsistent',
      `${where} is ${events.oversized.bytes} bytes, over the ${events.oversized.cap}-byte limit for an event log; it was not read`,
      hint
    )
  }
  const duplicates = events.duplicateKeyLines ?? []
  if (duplicates.length > 0) {
    return refuse(
      'inconsistent',
      `${where} has a key twice in one object on line${duplicates.length === 1 ? '' : 's'} ${duplicates.join(', ')}`,
      hint
    )
  }
  if (receipt.content_digest !== undefined && receipt.events_sha256 === undefined) {
    return refuse(
      'inconsistent',
      `rehearsal receipt at ${input.receiptPath} records a content_digest but no events_sha256, so nothing ties it to ${where}`,
      `rehearse with this version of the action, which records it: ${how}`
    )
  }
  if (receipt.events_sha256 !== undefined && events.matchesReceipt !== true) {
    return refuse(
      'inconsistent',
      `${where} is not the log the receipt was written with (its first ${receipt.events_bytes ?? 0} bytes do not hash to the receipt's events_sha256)`,
      hint
    )
  }
  return null
}

/** Which crates' sources differ, from the receipt's per-crate digests. */
function describeCrateChanges(receipt: RehearsalReceipt, current: Record<string, string>): string {
  if (!receipt.packages) return 'the receipt lists no per-crate digests to say which crates changed'
  const rehearsed = new Map(receipt.packages.map(p => [p.name, p.digest]))
  const changed: string[] = []
  const added: string[] = []
  for (const [name, digest] of Object.entries(current)) {
    const before = rehearsed.get(name)
    if (before === undefined) added.push(name)
    else if (before !== digest) changed.push(name)
  }
  const removed = [...rehearsed.keys()].filter(name => !(name in current))
  const parts: string[] = []
  if (changed.length) parts.push(`changed: ${changed.sort().join(', ')}`)
  if (added.length) parts.push(`not rehearsed: ${added.sort().join(', ')}`)
  if (removed.length) parts.push(`no longer planned: ${removed.sort().join(', ')}`)
  return parts.length
    ? parts.join('; ')
    : 'every per-crate digest matches, so the crates are combined differently (order or digest format)'
}

function refuse(reason: GateRefusalReason, message: string, hint: string): GateDecision {
  return { decision: 'refuse', reason, message, hint }
}

function skipped(badLines: readonly number[]): string {
  if (badLines.length === 0) return ''
  const plural = badLines.length === 1 ? 'line' : 'lines'
  return ` (events.jsonl: unreadable ${plural} ${badLines.join(', ')} skipped)`
}

/** Messages are one line: text quoted from files may not break that. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim()
}
