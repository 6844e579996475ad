export type FailureClass = 'retryable' | 'permanent' | 'ambiguous'

export interface Classification {
  class: FailureClass
  /** Short, human: what was recognized in cargo's output. */
  reason: string
  /** What the user does about it, for the refusals whose fix is known. */
  fix?: string
  /** How long the registry asked us to wait (429), relative to `opts.now` for HTTP dates. */
  retryAfterMs?: number
  /** The version is already in the registry: nothing left to upload. */
  alreadyExists?: boolean
  /** crates.io's new-crate limit (burst 5, then 1 per 10 minutes), not the new-version one. */
  newCrateRateLimit?: boolean
}

type Rule = [RegExp, string]

/** The registry already has the version: cargo's own pre-check, crates.io's and kellnr's answers. */
const ALREADY_EXISTS = /\balready (?:exists|uploaded)\b/i

/**
 * HTTP statuses as cargo 1.95 prints them: a JSON error body, a non-JSON body dump from the API,
 * and an index or download fetch. The last one printed is the innermost cause.
 */
const STATUS_PATTERNS: RegExp[] = [
  /the remote server responded with an error \(status (\d{3})\b/g,
  /failed to get a 200 OK response, got (\d{3})\b/g,
  /failed to get successful HTTP response from `[^`]*`(?: \([^)]*\))?, got (\d{3})\b/g
]

const AUTH: Rule[] = [
  [/no token found for `[^`]*`/, 'no token configured for the registry'],
  [/token rejected for `[^`]*`/, 'the registry rejected the token'],
  [/please run `cargo login/, 'the registry needs a login token']
]

/**
 * cargo's refusals that no retry can change, each with its fix. They come before the network
 * rules: their text may quote anything, and they never need a second attempt.
 */
const KNOWN_REFUSALS: [RegExp, string, string][] = [
  [
    /files? in the working directory contains? changes that were not yet committed/,
    'the git working tree has uncommitted changes',
    'commit or stash them (cargo lists them above), or set allow-dirty to publish them as they are'
  ],
  [
    /no index found for registry:? `?([^`\s]+)|registry index was not found in any configuration|registry `[^`]*` not found|could not find registry `/,
    'a registry named in a manifest or a flag is not configured',
    'configure it with CARGO_REGISTRIES_<NAME>_INDEX (or [registries.<name>] in .cargo/config.toml), or fix the registry name'
  ],
  [
    /failed to (?:parse|load) manifest|TOML parse error|duplicate key|missing field `|unknown field `/,
    'a manifest is invalid',
    'fix the manifest at the file and line cargo names'
  ]
]

/**
 * Failures that prove cargo got past the network (it compiled, or read a manifest or an index),
 * so a network-looking phrase elsewhere in the output does not make them transient.
 */
const DEFINITE_PERMANENT: Rule[] = [
  [/could not compile `/, 'the crate does not compile (verification build failed)'],
  [/failed to (?:parse|load|verify) manifest/, 'the manifest is invalid'],
  [/all dependencies must have a version requirement/, 'a dependency has no version requirement'],
  [/no matching package named `[^`]*` found/, 'a dependency is not in the registry index'],
  [
    /failed to select a version for the requirement/,
    'no dependency version satisfies a requirement'
  ],
  [/missing or empty metadata fields/, 'the registry requires metadata the manifest lacks'],
  [/invalid character `[^`]*` in package name/, 'the package name is invalid'],
  [/-->\s+\S*Cargo\.toml:\d+:\d+/, 'the manifest is invalid']
]

/** curl error codes cargo prints as `[N] ...`, and the phrases of a dropped or slow connection. */
const NETWORK: Rule[] = [
  [/\[(?:6|7|16|18|28|35|52|55|56|92)\] /, 'network error talking to the registry'],
  [/could(?: not|n't) (?:resolve host|connect to server)/i, 'cannot reach the registry'],
  [/\bdns error\b|failed to lookup address/i, 'cannot resolve the registry host (DNS)'],
  [
    /connection (?:refused|reset|closed|aborted)|broken pipe/i,
    'the connection to the registry failed'
  ],
  [/\btimed out\b|timeout was reached/i, 'the request to the registry timed out'],
  [/failed to send request|error sending request/i, 'the request to the registry was not sent'],
  [/empty reply from server|server returned nothing/i, 'the registry closed the connection'],
  [/failure when receiving data|failed sending data/i, 'the connection to the registry broke'],
  [/\b(?:SSL|TLS)\b/, 'TLS error talking to the registry']
]

/** Rejections that come after the network checks: they may be caused by a network failure. */
const LATE_PERMANENT: Rule[] = [
  [/failed to verify package tarball/, 'the packaged crate failed verification'],
  [/invalid (?:keyword|category|crate name|license)/i, 'the registry rejected a manifest field'],
  [/expected at most \d+ keywords/i, 'too many keywords'],
  [/is not a valid (?:keyword|category)/i, 'the registry rejected a manifest field'],
  [/the remote server responded with an error: /, 'the registry rejected the upload']
]

const KILLED = /\bkilled\b|\bsignal:? \d+|SIG(?:KILL|TERM|INT)/i

/**
 * Classifies a failed cargo command from what it printed. Pure: `opts.now` anchors HTTP dates;
 * without it, a date-only Retry-After yields no `retryAfterMs`.
 */
export function classifyCargoFailure(stderr: string, opts?: { now: number }): Classification {
  if (stderr.trim() === '') {
    return { class: 'ambiguous', reason: 'cargo printed no error (killed, or its output was lost)' }
  }
  if (ALREADY_EXISTS.test(stderr)) {
    return {
      class: 'permanent',
      reason: 'the version already exists in the registry',
      alreadyExists: true
    }
  }
  const status = lastStatus(stderr)
  if (status !== undefined) return classifyStatus(status, stderr, opts?.now)

  return (
    firstRule(AUTH, 'permanent', stderr) ??
    knownRefusal(stderr) ??
    firstRule(DEFINITE_PERMANENT, 'permanent', stderr) ??
    firstRule(NETWORK, 'retryable', stderr) ??
    firstRule(LATE_PERMANENT, 'permanent', stderr) ??
    (KILLED.test(stderr)
      ? { class: 'ambiguous', reason: 'cargo was killed' }
      : { class: 'ambiguous', reason: 'no known failure in cargo output' })
  )
}

function knownRefusal(text: string): Classification | undefined {
  const hit = KNOWN_REFUSALS.find(([pattern]) => pattern.test(text))
  return hit ? { class: 'permanent', reason: hit[1], fix: hit[2] } : undefined
}

function firstRule(rules: Rule[], cls: FailureClass, text: string): Classification | undefined {
  const hit = rules.find(([pattern]) => pattern.test(text))
  return hit ? { class: cls, reason: hit[1] } : undefined
}

function lastStatus(text: string): number | undefined {
  let best: { index: number; status: number } | undefined
  for (const pattern of STATUS_PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      if (!best || match.index > best.index) best = { index: match.index, status: Number(match[1]) }
    }
  }
  return best?.status
}

function classifyStatus(status: number, text: string, now: number | undefined): Classification {
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(text, now)
    const result: Classification = {
      class: 'retryable',
      reason: 'rate limited by the registry (HTTP 429)'
    }
    if (retryAfterMs !== undefined) result.retryAfterMs = retryAfterMs
    if (/too many new crates|new crates? (?:in|per)\b/i.test(text)) result.newCrateRateLimit = true
    return result
  }
  if (status === 408) return { class: 'retryable', reason: 'the registry timed out (HTTP 408)' }
  if (status >= 500) return { class: 'retryable', reason: `registry server error (HTTP ${status})` }
  if (status === 401 || status === 403) {
    return { class: 'permanent', reason: `the registry refused the credentials (HTTP ${status})` }
  }
  if (status >= 400)
    return { class: 'permanent', reason: `the registry rejected the request (HTTP ${status})` }
  return { class: 'ambiguous', reason: `unexpected HTTP ${status} from the registry` }
}

/**
 * crates.io puts an HTTP-date in its 429 detail ("Please try again after <date>"); other servers
 * send a Retry-After header, which cargo prints in the non-JSON body dump (seconds or a date).
 */
function parseRetryAfter(text: string, now: number | undefined): number | undefined {
  const detail =
    /try again after ([A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT)/i.exec(text)
  if (detail) return untilDate(detail[1]!, now)
  const header = /^\s*retry-after:\s*(.+?)\s*$/im.exec(text)
  if (!header) return undefined
  const value = header[1]!
  if (/^\d+$/.test(value)) return Number(value) * 1000
  return untilDate(value, now)
}

function untilDate(date: string, now: number | undefined): number | undefined {
  const at = Date.parse(date)
  if (Number.isNaN(at) || now === undefined) return undefined
  return Math.max(0, at - now)
}
