/** crates.io lets a new crate through once per 10 minutes after its burst. */
export const NEW_CRATE_RATE_LIMIT_MS = 10 * 60 * 1000

export interface RetryDelayInput {
  /** The attempt that just failed, 1-based. */
  attempt: number
  baseMs?: number
  /** Cap of the backoff itself; a server-imposed wait may exceed it. */
  maxMs?: number
  /** Uniform in [0, 1); injected so schedules are reproducible in tests. */
  random: () => number
  /** What the registry asked for (Retry-After or crates.io's "try again after"). */
  retryAfterMs?: number
  /** The registry said the new-crate limit was hit. */
  newCrateRateLimit?: boolean
  /** The failure was a rate limit (HTTP 429). */
  rateLimited?: boolean
  /** The crate has no version in the registry yet. */
  isNewCrate?: boolean
}

/**
 * Exponential backoff with EQUAL jitter: half of `min(maxMs, baseMs * 2^(attempt-1))` is fixed,
 * the other half random. Full jitter could pick a near-zero wait, which for a registry that just
 * failed or throttled us only burns an attempt; equal jitter still spreads concurrent uploads.
 * The result is raised to what the registry asked for, and to 10 minutes when a brand-new crate
 * is rate limited, because crates.io will not take another new crate sooner.
 */
export function retryDelayMs(input: RetryDelayInput): number {
  const { attempt, baseMs = 2000, maxMs = 120000, random } = input
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`attempt must be a positive integer, got ${attempt}`)
  }
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1))
  const r = Math.min(Math.max(random(), 0), 1)
  let delay = ceiling / 2 + (ceiling / 2) * r
  if (input.retryAfterMs !== undefined) delay = Math.max(delay, input.retryAfterMs)
  const newCrateLimited =
    input.newCrateRateLimit === true || (input.isNewCrate === true && input.rateLimited === true)
  if (newCrateLimited) delay = Math.max(delay, NEW_CRATE_RATE_LIMIT_MS)
  return Math.round(delay)
}
