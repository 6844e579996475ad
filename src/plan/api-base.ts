import { unresolvedHost } from '../sparse/dns.js'
import { z } from 'zod'
import { UserError } from '../errors.js'
import { configJsonUrlFor, indexUrlFor } from './registry-url.js'

export const CRATES_IO = 'crates-io'
export const CRATES_IO_API = 'https://crates.io'

export interface ApiBaseDeps {
  fetch: typeof fetch
  /** Where `CARGO_REGISTRIES_<NAME>_INDEX` is looked up; process.env by default. */
  env?: Record<string, string | undefined>
}

const registryConfigSchema = z.object({
  dl: z.string(),
  api: z.string().optional()
})

/** `CARGO_REGISTRIES_<NAME>_INDEX`: the name upper-cased with `-` turned into `_`, as cargo does. */
export function registryEnvName(registry: string, key: 'INDEX' | 'TOKEN'): string {
  return `CARGO_REGISTRIES_${registry.toUpperCase().replace(/-/g, '_')}_${key}`
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
    if (targetRegistry === CRATES_IO) return CRATES_IO_API
    const envName = registryEnvName(targetRegistry, 'INDEX')
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
  const configUrl = configJsonUrlFor(indexUrlFor(urlOrIndex))
  const hint = 'check target-registry-url: it must be a registry base URL or a sparse+ index URL'
  let body: string
  try {
    const response = await fetchFn(configUrl, { signal: AbortSignal.timeout(30_000) })
    if (!response.ok) {
      throw new UserError(`${configUrl} answered HTTP ${response.status}`, hint, 1)
    }
    body = await response.text()
  } catch (error) {
    if (error instanceof UserError) throw error
    const host = unresolvedHost(error)
    const reason = host
      ? `cannot resolve ${host} (DNS; is this machine offline?)`
      : error instanceof Error
        ? error.message
        : String(error)
    throw new UserError(`could not read ${configUrl}: ${reason}`, hint, 1)
  }
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    throw new UserError(`${configUrl} is not JSON`, hint, 1)
  }
  const config = registryConfigSchema.safeParse(json)
  if (!config.success) {
    throw new UserError(
      `${configUrl} is not a cargo registry config: ${z.prettifyError(config.error)}`,
      hint,
      1
    )
  }
  if (!config.data.api) {
    throw new UserError(
      `${configUrl} has no "api" field, so the registry accepts no publishes`,
      hint,
      1
    )
  }
  return config.data.api.replace(/\/+$/, '')
}
