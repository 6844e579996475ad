/**
 * Credential-shaped text that must never reach an event, a receipt or an artifact, even when the
 * exact secret was not registered (a token minted by a server, an env dump in cargo's output).
 */
const PATTERNS: Array<[RegExp, string]> = [
  // The whole rest of the header line: schemes vary (raw cargo token, Bearer, Basic).
  [/(authorization\s*:\s*)[^\r\n]*/gi, '$1***'],
  [/(\bbearer\s+)[^\s"',;]+/gi, '$1***'],
  // token=..., CARGO_REGISTRY_TOKEN=..., "token": "...", password: ..., api_key=...
  [/((?:token|password|passwd|secret|api[_-]?key)["']?\s*[=:]\s*)(["']?)[^\s"'&,;]+/gi, '$1$2***'],
  [/(--token[\s=]+)[^\s"']+/gi, '$1***'],
  // Credentials embedded in a URL: https://user:pass@host. The scheme is bounded so a long
  // run of letters (a base64 blob in cargo's output) cannot make the scan quadratic.
  [/(\b[a-z][a-z0-9+.-]{0,15}:\/\/)[^\s/@:]+:[^\s/@]+@/gi, '$1***@']
]

/** Replaces every known secret, and anything that looks like a credential, with `***`. */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  // Longest first, so a secret that contains another is not left half-masked.
  const known = [...new Set(secrets.filter(s => s.length > 0))].sort((a, b) => b.length - a.length)
  let out = text
  for (const secret of known) out = out.split(secret).join('***')
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement)
  return out
}

/** Scrubs every string inside a JSON-like value, keeping its shape and key order. */
export function scrubDeep<T>(value: T, secrets: readonly string[] = []): T {
  if (typeof value === 'string') return scrubSecrets(value, secrets) as T
  if (Array.isArray(value)) return value.map(v => scrubDeep(v, secrets)) as T
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, secrets)
    return out as T
  }
  return value
}
