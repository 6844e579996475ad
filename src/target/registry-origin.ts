/**
 * kellnr writes config.json's `api` and `dl` from KELLNR_ORIGIN__HOSTNAME / KELLNR_ORIGIN__PORT
 * (default 127.0.0.1:8000), not from the request. A job in a container reaching the service as
 * `http://kellnr:8000` then gets `api: http://127.0.0.1:8000`, and cargo uploads and downloads to
 * the job container itself. Checked on connect, before anything is packaged. Pure.
 */
import { UserError } from '../errors.js'
import { isLoopbackHost } from './rehearsal.js'

export interface OriginCheck {
  /** Hosts that differ without breaking anything cargo does (a warning). */
  warning?: string
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '')
  } catch {
    return undefined
  }
}

/**
 * Throws when config.json sends cargo to a loopback host while the registry was reached through
 * another name; `localhost` and `127.0.0.1` are the same place and never a mismatch.
 */
export function checkRegistryOrigin(
  registryHost: string,
  config: { api?: string; dl: string }
): OriginCheck {
  const reached = registryHost.toLowerCase().replace(/^\[|\]$/g, '')
  const named = [
    ['api', config.api],
    ['dl', config.dl]
  ].flatMap(([key, url]) => {
    const host = url ? hostOf(url) : undefined
    return host && host !== reached ? [{ key: key as string, url: url as string, host }] : []
  })
  const sameMachine = (host: string) => isLoopbackHost(host) && isLoopbackHost(reached)
  const different = named.filter(n => !sameMachine(n.host))
  if (different.length === 0) return {}
  const loopback = different.find(n => isLoopbackHost(n.host))
  if (loopback) {
    throw new UserError(
      `the rehearsal registry was reached as '${reached}', but its config.json sends cargo to ${loopback.url} (\`${loopback.key}\`), a loopback address: every upload and download would go to this machine (or job container) instead`,
      `start kellnr with \`KELLNR_ORIGIN__HOSTNAME: ${reached}\` (the name the job uses; \`localhost\` when the job runs on the runner itself) so config.json names it`,
      2
    )
  }
  return {
    warning: `the rehearsal registry was reached as '${reached}', but its config.json names ${different.map(n => `${n.host} (\`${n.key}\`)`).join(' and ')}: cargo will use those; set KELLNR_ORIGIN__HOSTNAME to '${reached}' if it cannot reach them`
  }
}
