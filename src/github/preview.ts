/**
 * What publishing the plan to the live registry will do, read from its index before anything is
 * published: which versions exist already, which crates are brand new (trusted publishing cannot
 * create a crate, and crates.io throttles new crates hard), and how long crates.io's publish rate
 * limits will make the release wait.
 */
import { CRATES_IO } from '../crates-io.js'
import { liveIndexNames } from '../plan/dropped-edges.js'
import { readSparseSnapshot, type IndexSnapshot } from '../target/snapshot.js'
import type { Plan } from '../plan/types.js'
import { formatDuration, plural } from './format.js'
import { type IndexEntry } from '../sparse/client.js'

export type LiveState = 'already-published' | 'new-crate' | 'new-version' | 'unknown'

export interface CratePreview {
  name: string
  version: string
  state: LiveState
  /** The exact version exists but is yanked: it still cannot be published again. */
  yanked?: boolean
  /** The most recently published version the index lists (index order), for new versions. */
  lastPublished?: string
}

/** A token bucket: `burst` publishes at once, then one per `intervalMs`. */
export interface Bucket {
  burst: number
  intervalMs: number
}

export interface RateLimits {
  newCrates: Bucket
  newVersions: Bucket
}

/** crates.io's publish limits per account (as measured against crates.io): 5 new crates then 1/10 min; 30 versions then 1/min. */
export const CRATES_IO_RATE_LIMITS: RateLimits = {
  newCrates: { burst: 5, intervalMs: 10 * 60_000 },
  newVersions: { burst: 30, intervalMs: 60_000 }
}

export interface ReleasePreview {
  /** Live registry name from the plan (`crates-io` by default). */
  registry: string
  indexUrl: string
  /** In plan order. */
  crates: CratePreview[]
  counts: Record<LiveState, number>
  /** Undefined for registries whose limits are unknown (anything but crates.io). */
  rateLimits: RateLimits | undefined
  expectedRateLimitWaitMs: number
  /** Things a release engineer should know before merging, as sentences. */
  notes: string[]
}

export interface PreviewOptions {
  liveIndexUrl: string
  /** The phase's reading of the live index; read here (with `fetch`, `token`) when not given. */
  snapshot?: Promise<IndexSnapshot>
  fetch?: typeof fetch
  token?: string
  /** Rate limits to expect; defaults to crates.io's when the plan targets crates-io, else none. */
  rateLimits?: RateLimits
  /** Bounds the whole preview, so a hanging index cannot stall the rehearsal. */
  timeoutMs?: number
}

/**
 * How long crates.io's rate limits will hold the whole release up, assuming both buckets start
 * full (no publishes by the same account shortly before). The two buckets are independent, but
 * the release publishes in dependency order, so a crate waiting for one bucket usually delays the
 * crates behind it: the estimate adds the two waits, an upper bound that is exact when the waits
 * cannot overlap (and at most twice the real wait when they overlap perfectly).
 */
export function expectedRateLimitWaitMs(
  counts: { newCrates: number; newVersions: number },
  limits: RateLimits = CRATES_IO_RATE_LIMITS
): number {
  const wait = (n: number, b: Bucket) => Math.max(0, n - b.burst) * b.intervalMs
  return wait(counts.newCrates, limits.newCrates) + wait(counts.newVersions, limits.newVersions)
}

/** Build metadata does not make a new version: crates.io refuses 1.0.0+b when 1.0.0+a exists. */
function sameVersion(a: string, b: string): boolean {
  return a.split('+')[0] === b.split('+')[0]
}

/** Pure: the state of one planned crate given its index entries (null = crate unknown). */
export function crateState(
  name: string,
  version: string,
  entries: IndexEntry[] | null
): CratePreview {
  if (entries === null || entries.length === 0) return { name, version, state: 'new-crate' }
  const existing = entries.find(e => sameVersion(e.vers, version))
  if (existing) {
    return existing.yanked
      ? { name, version, state: 'already-published', yanked: true }
      : { name, version, state: 'already-published' }
  }
  const last = entries[entries.length - 1] as IndexEntry
  return { name, version, state: 'new-version', lastPublished: last.vers }
}

function countStates(crates: CratePreview[]): Record<LiveState, number> {
  const counts: Record<LiveState, number> = {
    'already-published': 0,
    'new-crate': 0,
    'new-version': 0,
    unknown: 0
  }
  for (const c of crates) counts[c.state] += 1
  return counts
}

function notesFor(crates: CratePreview[]): string[] {
  const notes: string[] = []
  const newCrates = crates.filter(c => c.state === 'new-crate').map(c => c.name)
  if (newCrates.length > 0) {
    notes.push(
      `${newCrates.length === 1 ? 'This crate is' : 'These crates are'} new to the registry: ${newCrates.join(', ')}. ` +
        'A first publish needs a regular API token: trusted publishing can only publish crates that already exist.'
    )
  }
  const yanked = crates.filter(c => c.yanked).map(c => `${c.name}@${c.version}`)
  if (yanked.length > 0) {
    notes.push(
      `Already published and yanked: ${yanked.join(', ')}. A yanked version cannot be published again; bump the version to ship a fix.`
    )
  }
  return notes
}

/**
 * Queries the live index for every planned crate. Never throws: when the index cannot be read
 * (network error, 5xx, not an index), every crate is `unknown` and a note says why, because a
 * preview must not fail a rehearsal.
 */
export async function releasePreview(plan: Plan, options: PreviewOptions): Promise<ReleasePreview> {
  const limits =
    options.rateLimits ?? (plan.registry === CRATES_IO.name ? CRATES_IO_RATE_LIMITS : undefined)
  const snapshot = await (options.snapshot ??
    readSparseSnapshot(options.liveIndexUrl, liveIndexNames(plan), {
      fetch: options.fetch,
      token: options.token,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {})
    }))
  let crates: CratePreview[]
  const notes: string[] = []
  const failure = snapshot.firstFailure(plan.packages.map(p => p.name))
  if (failure) {
    crates = plan.packages.map(p => ({ name: p.name, version: p.version, state: 'unknown' }))
    notes.push(
      `The live index ${options.liveIndexUrl} could not be read (${failure.error.message}), so what publishing will do is unknown.`
    )
  } else {
    crates = plan.packages.map(p => {
      const read = snapshot.read(p.name)
      return crateState(p.name, p.version, read && 'entries' in read ? read.entries : null)
    })
    notes.push(...notesFor(crates))
  }
  const counts = countStates(crates)
  return {
    registry: plan.registry,
    indexUrl: options.liveIndexUrl,
    crates,
    counts,
    rateLimits: limits,
    expectedRateLimitWaitMs: limits
      ? expectedRateLimitWaitMs(
          { newCrates: counts['new-crate'], newVersions: counts['new-version'] },
          limits
        )
      : 0,
    notes
  }
}

function bucketWait(n: number, b: Bucket, what: string): string {
  const extra = n - b.burst
  const every = formatDuration(b.intervalMs).replace(/^1 min$/, 'minute')
  return extra > 0
    ? `${plural(n, what)}: the first ${b.burst} at once, then 1 every ${every} (${formatDuration(extra * b.intervalMs)})`
    : `${plural(n, what)} (burst ${b.burst})`
}

/** One sentence on the rate-limit wait; undefined when the registry's limits are unknown. */
export function describeRateLimitWait(preview: ReleasePreview): string | undefined {
  const limits = preview.rateLimits
  if (!limits) return undefined
  const { counts } = preview
  if (counts.unknown > 0) return 'unknown: the live index could not be read.'
  const parts = [
    bucketWait(counts['new-crate'], limits.newCrates, 'new crate'),
    bucketWait(counts['new-version'], limits.newVersions, 'new version')
  ].join('; ')
  if (preview.expectedRateLimitWaitMs === 0) return `none expected: ${parts}.`
  return (
    `about ${formatDuration(preview.expectedRateLimitWaitMs)}: ${parts}. ` +
    'Assumes the account published nothing just before; waits in the two limits are added.'
  )
}
