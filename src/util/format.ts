/** `1.5s`, `30s`: how long something took or may take, for messages. */
export function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`
}

/** `1 crate`, `3 crates`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}

/** A clock reading as the records write times. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString()
}
