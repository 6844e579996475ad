import { createHash } from 'node:crypto'

/**
 * shipper's plan_id: SHA-256 (lowercase hex) of the live registry's API base, a newline, then
 * `name@version` and a newline for each planned crate, in the order given (shipper's order:
 * see planIdOf).
 */
export function computePlanId(
  apiBase: string,
  crates: ReadonlyArray<{ name: string; version: string }>
): string {
  const text = `${apiBase}\n${crates.map(c => `${c.name}@${c.version}\n`).join('')}`
  return createHash('sha256').update(text, 'utf8').digest('hex')
}
