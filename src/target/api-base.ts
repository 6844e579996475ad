import { registryEnvVar } from '../cargo/env.js'
import { CRATES_IO } from '../crates-io.js'
import { UserError } from '../errors.js'
import { fetchRegistryConfig } from '../sparse/client.js'
import { unresolvedHost } from '../sparse/dns.js'
import { configJsonUrlFor, indexUrlFor } from './url.js'

export interface ApiBaseDeps {
  fetch: typeof fetch
  /** Where `CARGO_REGISTRIES_<NAME>_INDEX` is looked up; process.env by default. */
  env?: Record<string, string | undefined>
}

/**
 * The API base that enters the plan_id: `https://crates.io` for crates.io, else the `api` field
 * of the target registry's index config.json (trailing slash removed).
 */
export async function resolveApiBase(
  targetRegistry: string,
  targetRegistryUrl: string,
  deps: ApiBaseDeps
): Promise<string> {
  const url = targetRegistryUrl.trim()
  if (url === '') {
    if (targetRegistry === CRATES_IO.name) return CRATES_IO.api
    const envName = registryEnvVar(targetRegistry, 'INDEX')
    const fromEnv = (deps.env ?? process.env)[envName]?.trim()
    if (!fromEnv) {
      throw new UserError(
        `no index URL is known for target registry '${targetRegistry}'`,
        `set target-registry-url to its base or sparse+ index URL (or set ${envName})`,
        2
      )
    }
    if (!fromEnv.startsWith('sparse+')) {
      throw new UserError(
        `${envName} is not a sparse index URL: ${fromEnv}`,
        'only sparse registries are supported; set target-registry-url to a sparse+ index URL',
        2
      )
    }
    return readApi(fromEnv, deps.fetch)
  }
  return readApi(url, deps.fetch)
}

async function readApi(urlOrIndex: string, fetchFn: typeof fetch): Promise<string> {
  const indexUrl = indexUrlFor(urlOrIndex)
  const hint = 'check target-registry-url: it must be a registry base URL or a sparse+ index URL'
  let api: string | undefined
  try {
    const config = await fetchRegistryConfig(indexUrl, {
      fetch: fetchFn,
      signal: AbortSignal.timeout(30_000)
    })
    api = config.api
  } catch (error) {
    const host = unresolvedHost(error)
    const reason = host
      ? `cannot resolve ${host} (DNS; is this machine offline?)`
      : error instanceof Error
        ? error.message
        : String(error)
    throw new UserError(`could not read ${configJsonUrlFor(indexUrl)}: ${reason}`, hint, 1)
  }
  if (!api) {
    throw new UserError(
      `${configJsonUrlFor(indexUrl)} has no "api" field, so the registry accepts no publishes`,
      hint,
      1
    )
  }
  return api.replace(/\/+$/, '')
}
