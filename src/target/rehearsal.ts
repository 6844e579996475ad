import type { Options } from '../options/types.js'
import { CRATES_IO } from '../crates-io.js'
import type { Clock } from '../clock.js'
import { UserError } from '../errors.js'
import type { Logger } from '../log.js'
import { mintKellnrToken } from './kellnr-login.js'
import { indexUrlFor } from './url.js'
import { startRegistry } from '../registry/index.js'
import { IndexError, fetchRegistryConfig, indexBaseUrl } from '../sparse/client.js'
import { formatSeconds } from '../util/format.js'
import { checkRegistryOrigin } from './registry-origin.js'

/** The registry a rehearsal publishes to, whichever way it was obtained. */
export interface RehearsalRegistry {
  /** cargo name (`--registry`, `CARGO_REGISTRIES_<NAME>_*`). */
  name: string
  /** `sparse+http(s)://.../`, ending in `/`. */
  indexUrl: string
  /** Where uploads go (config.json `api`), without a trailing slash. */
  apiBase: string
  token: string
  /** config.json `auth-required`: cargo then needs the token to read the index and download. */
  authRequired: boolean
  embedded: boolean
  /** Stops the embedded registry; a no-op for a registry the rehearsal did not start. */
  close(): Promise<void>
}

/** Where a URL registry answers: its index, its config.json, and a kellnr health route if any. */
export interface RegistryEndpoint {
  indexUrl: string
  configUrl: string
  /** `<origin>/api/v1/health` for a kellnr-layout index (`.../api/v1/crates/`). */
  healthUrl?: string
  /** Base URL for kellnr's own API (login, tokens), when the layout is kellnr's. */
  kellnrBase?: string
  protocol: 'http:' | 'https:'
  hostname: string
}

const CRATES_IO_HOST = /(^|\.)crates\.io$/i
const KELLNR_INDEX_PATH = '/api/v1/crates/'

/** Parses `registry-url` (a kellnr base URL or a `sparse+` index URL). Pure. */
export function registryEndpoint(registryUrl: string): RegistryEndpoint {
  const indexUrl = indexUrlFor(registryUrl)
  const http = new URL(indexBaseUrl(indexUrl))
  const endpoint: RegistryEndpoint = {
    indexUrl,
    configUrl: `${indexBaseUrl(indexUrl)}config.json`,
    protocol: http.protocol as 'http:' | 'https:',
    hostname: http.hostname.toLowerCase()
  }
  if (http.pathname.endsWith(KELLNR_INDEX_PATH)) {
    const base = `${http.origin}${http.pathname.slice(0, -KELLNR_INDEX_PATH.length)}`
    endpoint.kellnrBase = base
    endpoint.healthUrl = `${base}/api/v1/health`
  }
  return endpoint
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '')
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  )
}

/**
 * Plain http is allowed where nothing crosses a network a stranger can see: loopback, and
 * single-label host names, which is how a job container reaches its service containers
 * (`http://kellnr:8000`). Anything with a dot (a real domain, or an IP outside 127/8) needs https.
 */
export function httpAllowed(hostname: string): boolean {
  if (isLoopbackHost(hostname)) return true
  return !hostname.includes('.') && !hostname.includes(':') && !hostname.startsWith('[')
}

export interface RegistryPolicyInput {
  registryName: string
  targetRegistry: string
  targetRegistryUrl: string
}

/**
 * Refuses (exit 2) a rehearsal registry that could be a live one — any crates.io host, or the
 * configured live target — and plain http where it is not allowed. Pure.
 */
export function checkRegistryPolicy(endpoint: RegistryEndpoint, input: RegistryPolicyInput): void {
  if (CRATES_IO_HOST.test(endpoint.hostname)) {
    throw new UserError(
      `registry-url points at crates.io (${endpoint.hostname}): a rehearsal never publishes to the live registry`,
      'leave registry-url empty for the embedded registry, or point it at a throwaway kellnr',
      2
    )
  }
  if (input.targetRegistryUrl.trim() !== '') {
    const live = indexUrlFor(input.targetRegistryUrl)
    if (sameIndex(live, endpoint.indexUrl)) {
      throw new UserError(
        `registry-url is the live target registry '${input.targetRegistry}' (${live})`,
        'rehearse against a throwaway registry, not the one the release goes to',
        2
      )
    }
  }
  if (endpoint.protocol === 'http:' && !httpAllowed(endpoint.hostname)) {
    throw new UserError(
      `registry-url uses plain http on ${endpoint.hostname}, which is neither loopback nor a service-container host name`,
      'use https, or http only for localhost / 127.x.x.x / a single-label host such as `kellnr`',
      2
    )
  }
}

/** The rehearsal registry needs a cargo name of its own, whichever registry it is. Pure. */
export function checkRegistryName(input: Omit<RegistryPolicyInput, 'targetRegistryUrl'>): void {
  if (input.registryName === input.targetRegistry || input.registryName === CRATES_IO.name) {
    throw new UserError(
      `registry-name '${input.registryName}' is the name of the live target registry`,
      'give the rehearsal registry its own name, e.g. `rehearsal`',
      2
    )
  }
}

function sameIndex(a: string, b: string): boolean {
  const norm = (url: string) => {
    const parsed = new URL(indexBaseUrl(url))
    return `${parsed.protocol}//${parsed.host.toLowerCase()}${parsed.pathname.replace(/\/+$/, '')}`
  }
  return norm(a) === norm(b)
}

/** `scheme://host:port` with the default port spelled out, as shipper's evidence records it. */
export function authority(url: string): string {
  const parsed = new URL(url.replace(/^sparse\+/, ''))
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80')
  return `${parsed.protocol}//${parsed.hostname}:${port}`
}

/** shipper's `registry_policy_applied` evidence for a rehearsal registry. Pure. */
export function policyEvidence(registry: Pick<RehearsalRegistry, 'indexUrl' | 'apiBase'>) {
  return {
    posture: 'rehearsal_or_test' as const,
    allow_private: true,
    allow_loopback: true,
    credential_authority: authority(registry.apiBase),
    index_authority: authority(registry.indexUrl)
  }
}

export interface WaitDeps {
  fetch: typeof fetch
  clock: Clock
  timeoutMs: number
  token?: string
  /** Called once when the first probe fails, so a human knows why nothing happens. */
  onWaiting?: (url: string) => void
}

export interface RegistryConfig {
  dl: string
  api?: string
  'auth-required'?: boolean
}

const PROBE_INTERVAL_MS = 1000
const PROBE_TIMEOUT_MS = 5000

/**
 * Waits until the registry answers: its health route, or its config.json when it has none.
 * Not answering is retried until the timeout; answering with something that is not a registry
 * (an HTML page with 200, a 404 for config.json) fails at once.
 */
export async function waitForRegistry(endpoint: RegistryEndpoint, deps: WaitDeps): Promise<void> {
  const start = deps.clock.now()
  let useHealth = endpoint.healthUrl !== undefined
  let told = false
  for (;;) {
    const probeUrl = useHealth ? (endpoint.healthUrl as string) : endpoint.configUrl
    const outcome = useHealth
      ? await probeHealth(probeUrl, deps)
      : await probeConfig(endpoint, deps)
    if (outcome.kind === 'ready') return
    if (outcome.kind === 'no-health-route') {
      useHealth = false
      continue
    }
    if (!told) {
      deps.onWaiting?.(probeUrl)
      told = true
    }
    const elapsed = deps.clock.now() - start
    if (elapsed >= deps.timeoutMs) throw notAnswering(probeUrl, deps.timeoutMs, outcome.problem)
    await deps.clock.sleep(Math.min(PROBE_INTERVAL_MS, deps.timeoutMs - elapsed))
  }
}

type Probe = { kind: 'ready' } | { kind: 'no-health-route' } | { kind: 'retry'; problem: string }

async function probeHealth(url: string, deps: WaitDeps): Promise<Probe> {
  try {
    const res = await deps.fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })
    await res.body?.cancel()
    if (res.status === 200) return { kind: 'ready' }
    if (res.status === 404) return { kind: 'no-health-route' }
    return { kind: 'retry', problem: `HTTP ${res.status}` }
  } catch (error) {
    return { kind: 'retry', problem: explain(error) }
  }
}

async function probeConfig(endpoint: RegistryEndpoint, deps: WaitDeps): Promise<Probe> {
  try {
    await fetchRegistryConfig(endpoint.indexUrl, { token: deps.token, fetch: deps.fetch })
    return { kind: 'ready' }
  } catch (error) {
    if (error instanceof IndexError && !transient(error.status)) throw notARegistry(error)
    return { kind: 'retry', problem: explain(error) }
  }
}

/** Reads config.json of a registry that already answers: it must be right at once. */
export async function readRegistryConfig(
  endpoint: RegistryEndpoint,
  deps: { fetch: typeof fetch; token?: string }
): Promise<RegistryConfig> {
  try {
    return await fetchRegistryConfig(endpoint.indexUrl, { token: deps.token, fetch: deps.fetch })
  } catch (error) {
    if (error instanceof IndexError) throw notARegistry(error)
    throw error
  }
}

function transient(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || status >= 500
}

function explain(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message
  }
  return String(error)
}

function notAnswering(url: string, timeoutMs: number, problem: string): UserError {
  return new UserError(
    `the rehearsal registry did not answer at ${url} within ${formatSeconds(timeoutMs)} (${problem})`,
    'is the kellnr service container started? its port must be mapped as "8000:8000"; ' +
      "kellnr's image health check runs every 5 minutes unless the service sets " +
      '`options: --health-interval 2s ...`; or raise registry-wait',
    1
  )
}

function notARegistry(error: IndexError): UserError {
  if (error.status === 401 || error.status === 403) {
    return new UserError(
      `the rehearsal registry refused to show its index without a valid token (${error.message})`,
      'set registry-token (or registry-user / registry-password for kellnr)',
      1
    )
  }
  return new UserError(
    `the rehearsal registry URL does not serve a cargo registry: ${error.message}`,
    'registry-url must be the base URL of a kellnr-layout registry (index at <base>/api/v1/crates/) or a sparse+ index URL',
    1
  )
}

export type ConnectOptions = Pick<
  Options,
  | 'registryUrl'
  | 'registryName'
  | 'registryToken'
  | 'registryWaitMs'
  | 'registryUser'
  | 'registryPassword'
>

export interface ConnectDeps {
  fetch: typeof fetch
  clock: Clock
  logger: Logger
  progress: (line: string) => void
}

/**
 * The rehearsal registry: the URL registry once it answers (with a token minted from the kellnr
 * login when none was given), or a fresh embedded registry on loopback in crates.io-strict mode.
 * The caller must close() it whatever happens.
 */
export async function connectRegistry(
  options: ConnectOptions,
  endpoint: RegistryEndpoint | undefined,
  deps: ConnectDeps
): Promise<RehearsalRegistry> {
  if (!endpoint) {
    const embedded = await startRegistry({ strict: true })
    deps.logger.secret(embedded.token)
    deps.progress(`started the embedded registry at ${embedded.url}`)
    return {
      name: options.registryName,
      indexUrl: embedded.indexUrl,
      apiBase: embedded.url,
      token: embedded.token,
      authRequired: false,
      embedded: true,
      close: () => embedded.close()
    }
  }
  if (options.registryToken) deps.logger.secret(options.registryToken)
  deps.progress(`waiting for the rehearsal registry at ${endpoint.healthUrl ?? endpoint.configUrl}`)
  await waitForRegistry(endpoint, {
    fetch: deps.fetch,
    clock: deps.clock,
    timeoutMs: options.registryWaitMs,
    token: options.registryToken || undefined,
    onWaiting: url =>
      deps.progress(
        `${url} does not answer yet; waiting up to ${formatSeconds(options.registryWaitMs)}`
      )
  })
  let token = options.registryToken
  if (!token && endpoint.kellnrBase) {
    const minted = await mintKellnrToken(
      endpoint.kellnrBase,
      options.registryUser,
      options.registryPassword,
      { fetch: deps.fetch, now: deps.clock.now, secret: value => deps.logger.secret(value) }
    )
    token = minted.token
    deps.progress(
      `minted the token '${minted.name}' for '${options.registryUser}' on the rehearsal registry`
    )
  }
  const config = await readRegistryConfig(endpoint, {
    fetch: deps.fetch,
    token: token || undefined
  })
  const origin = checkRegistryOrigin(endpoint.hostname, config)
  if (origin.warning) deps.logger.warning(origin.warning)
  const apiBase = (config.api ?? endpoint.kellnrBase ?? new URL(endpoint.configUrl).origin).replace(
    /\/+$/,
    ''
  )
  return {
    name: options.registryName,
    indexUrl: endpoint.indexUrl,
    apiBase,
    token,
    authRequired: config['auth-required'] === true,
    embedded: false,
    close: async () => undefined
  }
}
