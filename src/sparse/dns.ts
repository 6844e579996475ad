/**
 * A registry host that does not resolve. Retrying it for a minute helps nobody: without a network
 * or with a mistyped host, every retry fails the same way, so callers fail at once, naming the
 * host. Pure.
 */
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL'])

/** The host name a fetch failed to resolve, found anywhere in the error's cause chain. */
export function unresolvedHost(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const err = e as { code?: unknown; hostname?: unknown; cause?: unknown }
    if (typeof err.code === 'string' && DNS_CODES.has(err.code)) {
      return typeof err.hostname === 'string' ? err.hostname : 'the registry host'
    }
    e = err.cause
  }
  return undefined
}

/** The failure of a run stopped by a host that does not resolve; nothing was sent anywhere. */
export function unresolvedFailure(host: string, registry: string) {
  return {
    class: 'retryable' as const,
    message: `cannot resolve ${host}, the host of '${registry}' (DNS): nothing was uploaded`,
    hint: `check the network (is this machine offline?) and the registry URL; rerun once ${host} resolves`
  }
}
