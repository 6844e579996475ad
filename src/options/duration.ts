import { UserError } from '../errors.js'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/**
 * `500ms`, `30s`, `2m`, `1h`, combinations like `1m30s`, or a bare number of seconds.
 * Returns undefined for anything else.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000)
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(trimmed)) return undefined
  let total = 0
  for (const [, value, , unit] of trimmed.matchAll(/(\d+(\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(value) * (UNITS[unit as string] as number)
  }
  return Math.round(total)
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`
  const m = Math.floor(ms / 60_000)
  const s = Math.round((ms % 60_000) / 1000)
  return s ? `${m}m${s}s` : `${m}m`
}

/** humantime's units (the crate shipper parses duration strings with), in milliseconds. */
const HUMANTIME_UNITS: Record<string, number> = {
  nanos: 1e-6,
  nsec: 1e-6,
  ns: 1e-6,
  usec: 1e-3,
  us: 1e-3,
  millis: 1,
  msec: 1,
  ms: 1,
  seconds: 1000,
  second: 1000,
  secs: 1000,
  sec: 1000,
  s: 1000,
  minutes: 60_000,
  minute: 60_000,
  mins: 60_000,
  min: 60_000,
  m: 60_000,
  hours: 3_600_000,
  hour: 3_600_000,
  hrs: 3_600_000,
  hr: 3_600_000,
  h: 3_600_000,
  days: 86_400_000,
  day: 86_400_000,
  d: 86_400_000,
  weeks: 604_800_000,
  week: 604_800_000,
  w: 604_800_000,
  months: 2_630_016_000,
  month: 2_630_016_000,
  M: 2_630_016_000,
  years: 31_557_600_000,
  year: 31_557_600_000,
  y: 31_557_600_000
}

/**
 * A humantime duration string as shipper reads it from `.shipper.toml`: one or more whole numbers
 * each followed by a unit (`90s`, `5min`, `1h 30m`, `2 hours`). Returns undefined for anything
 * else, a bare number included (humantime wants a unit).
 */
export function parseHumantime(text: string): number | undefined {
  const pairs = /^\s*(?:\d+\s*[A-Za-z]+\s*)+$/.test(text)
    ? [...text.matchAll(/(\d+)\s*([A-Za-z]+)/g)]
    : []
  if (pairs.length === 0) return undefined
  let total = 0
  for (const [, count, unit] of pairs) {
    const ms = HUMANTIME_UNITS[unit as string]
    if (ms === undefined) return undefined
    total += Number(count) * ms
  }
  return Number.isFinite(total) ? Math.round(total) : undefined
}

/**
 * A `.shipper.toml` duration, read as shipper does: a TOML integer is MILLISECONDS, a string is
 * humantime. Anything else (or zero where `positive`) is one clear line naming the key.
 */
export function configDurationMs(
  value: unknown,
  key: string,
  path: string,
  positive = false
): number {
  const ms =
    typeof value === 'number'
      ? Number.isSafeInteger(value) && value >= 0
        ? value
        : undefined
      : typeof value === 'string'
        ? parseHumantime(value)
        : undefined
  if (ms === undefined || (positive && ms === 0)) {
    throw new UserError(
      `${path}: \`${key}\` is not a${positive ? ' positive' : ''} duration: ${JSON.stringify(value)}`,
      'write whole milliseconds as an integer (300000) or a humantime string such as "90s", "5min" or "1h 30m"',
      2
    )
  }
  return ms
}
