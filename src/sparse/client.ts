/**
 * The sparse-index client every module uses to read a cargo registry's index: kellnr's, crates.io's
 * or the embedded registry's. It never serves stale data (no conditional requests, no cache), and
 * tells "crate unknown" (null) apart from "registry unhealthy" (IndexError).
 */
import { z } from 'zod'
import type { Clock } from '../clock.js'

/** Path of a crate's index file below the index root: `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd`. */
export function indexFilePath(name: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new Error(`not a crate name: ${JSON.stringify(name)}`)
  }
  const n = name.toLowerCase()
  if (n.length === 1) return `1/${n}`
  if (n.length === 2) return `2/${n}`
  if (n.length === 3) return `3/${n[0]}/${n}`
  return `${n.slice(0, 2)}/${n.slice(2, 4)}/${n}`
}

/** What a dependency says alike in an index line and in cargo's publish metadata. */
export const dependencyFields = {
  features: z.array(z.string()).default([]),
  optional: z.boolean().default(false),
  default_features: z.boolean().default(true),
  target: z.string().nullable().optional(),
  kind: z.string().nullable().optional(),
  /** Index URL of the dependency's registry; absent = the registry it is listed in. */
  registry: z.string().nullable().optional()
}

export const indexDepSchema = z.looseObject({
  name: z.string(),
  req: z.string(),
  ...dependencyFields,
  package: z.string().nullable().optional()
})

export const indexEntrySchema = z.looseObject({
  name: z.string(),
  vers: z.string(),
  deps: z.array(indexDepSchema).default([]),
  cksum: z.string(),
  features: z.record(z.string(), z.array(z.string())).default({}),
  features2: z.record(z.string(), z.array(z.string())).optional(),
  yanked: z.boolean().default(false),
  links: z.string().nullable().optional(),
  rust_version: z.string().nullable().optional(),
  v: z.number().optional(),
  pubtime: z.string().optional()
})

export type IndexDep = z.infer<typeof indexDepSchema>
export type IndexEntry = z.infer<typeof indexEntrySchema>

export const registryConfigSchema = z.looseObject({
  dl: z.string(),
  api: z.string().optional(),
  'auth-required': z.boolean().optional()
})

export type RegistryConfig = z.infer<typeof registryConfigSchema>

/** A registry answered something other than a usable index response. `status` 0 = no HTTP answer. */
export class IndexError extends Error {
  readonly url: string
  readonly status: number

  constructor(url: string, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'IndexError'
    this.url = url
    this.status = status
  }
}

export interface FetchOptions {
  token?: string
  fetch?: typeof fetch
  signal?: AbortSignal
}

/** `sparse+http://h/api/v1/crates` or `http://h/api/v1/crates/` → `http://h/api/v1/crates/`. */
export function indexBaseUrl(indexUrl: string): string {
  const bare = indexUrl.trim().replace(/^sparse\+/, '')
  return bare.endsWith('/') ? bare : `${bare}/`
}

/**
 * Parses an index file: one JSON object per line. A malformed line is skipped (registries append,
 * and one bad line must not hide the others), but a body with no parseable line at all is not an
 * index file.
 */
export function parseIndexFile(text: string): IndexEntry[] | null {
  const lines = text.split('\n').filter(l => l.trim() !== '')
  const entries: IndexEntry[] = []
  for (const line of lines) {
    let json: unknown
    try {
      json = JSON.parse(line)
    } catch {
      continue
    }
    const parsed = indexEntrySchema.safeParse(json)
    if (parsed.success) entries.push(parsed.data)
  }
  if (lines.length > 0 && entries.length === 0) return null
  return entries
}

function looksLikeHtml(text: string): boolean {
  return /^\s*</.test(text)
}

async function get(url: string, opts: FetchOptions): Promise<Response> {
  const doFetch = opts.fetch ?? fetch
  const headers: Record<string, string> = { 'cache-control': 'no-cache' }
  if (opts.token) headers.authorization = opts.token
  try {
    return await doFetch(url, { headers, signal: opts.signal })
  } catch (error) {
    if (opts.signal?.aborted) throw error
    const reason = error instanceof Error ? (error.cause ?? error).toString() : String(error)
    throw new IndexError(url, 0, `GET ${url} failed: ${reason}`, { cause: error })
  }
}

/** The body of a 200 answer; any other status is an IndexError that quotes the start of the body. */
async function okText(url: string, res: Response): Promise<string> {
  const text = await res.text()
  if (res.status !== 200) {
    throw new IndexError(
      url,
      res.status,
      `GET ${url} answered ${res.status}: ${text.slice(0, 200)}`
    )
  }
  return text
}

/** The crate's index entries; null when the registry says it does not know the crate. */
export async function fetchIndexEntries(
  indexUrl: string,
  name: string,
  opts: FetchOptions = {}
): Promise<IndexEntry[] | null> {
  const url = indexBaseUrl(indexUrl) + indexFilePath(name)
  const res = await get(url, opts)
  if (res.status === 404 || res.status === 410 || res.status === 451) {
    // Not awaited: cancelling a body that is a branch of a tee waits for the other branch.
    res.body?.cancel().catch(() => undefined)
    return null
  }
  const text = await okText(url, res)
  const entries = looksLikeHtml(text) ? null : parseIndexFile(text)
  if (entries === null) {
    throw new IndexError(
      url,
      res.status,
      `GET ${url} answered 200 with something that is not a sparse index file: ${text.slice(0, 120)}`
    )
  }
  const wanted = name.toLowerCase()
  return entries.filter(e => e.name.toLowerCase() === wanted)
}

/** The registry's config.json; a 200 that is not one (a web UI page, say) is an error. */
export async function fetchRegistryConfig(
  indexUrl: string,
  opts: FetchOptions = {}
): Promise<{ dl: string; api?: string; 'auth-required'?: boolean }> {
  const url = `${indexBaseUrl(indexUrl)}config.json`
  const text = await okText(url, await get(url, opts))
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  const parsed = registryConfigSchema.safeParse(json)
  if (!parsed.success) {
    throw new IndexError(
      url,
      200,
      `${url} is not a cargo registry: config.json is not a registry configuration (${text.slice(0, 120)})`
    )
  }
  return parsed.data
}

export interface WaitOptions {
  /** When given, the version only counts as visible with this checksum. */
  cksum?: string
  timeoutMs: number
  clock: Clock
  token?: string
  fetch?: typeof fetch
  /** Pause after the first (immediate) poll; doubles after each poll up to maxDelayMs. */
  firstDelayMs?: number
  maxDelayMs?: number
  onPoll?: (attempt: number, visible: boolean) => void
  /**
   * The pause between polls; the clock's sleep by default. A caller that learns the version is
   * probably there (cargo saw it) ends the pause early, so the proof does not lag behind.
   */
  pause?: (ms: number) => Promise<void>
}

export interface WaitResult {
  /** The exact version is listed (with the expected cksum, when one was given). */
  visible: boolean
  attempts: number
  durationMs: number
  entry?: IndexEntry
  /** The version is listed with another checksum: waiting longer cannot help. */
  cksumMismatch?: boolean
}

/**
 * Polls the index until `name@version` is listed, or the timeout passes on the injected clock.
 * The first poll is immediate (a registry that indexes before answering the upload needs no wait),
 * then the pause doubles from firstDelayMs to maxDelayMs; the last poll happens at the deadline.
 * Fetch errors are treated as "not visible yet".
 */
export async function waitForVersion(
  indexUrl: string,
  name: string,
  version: string,
  opts: WaitOptions
): Promise<WaitResult> {
  const { clock, timeoutMs } = opts
  const maxDelay = opts.maxDelayMs ?? 2000
  let delay = Math.min(opts.firstDelayMs ?? 100, maxDelay)
  const start = clock.now()
  let attempts = 0
  for (;;) {
    attempts += 1
    const entries = await fetchIndexEntries(indexUrl, name, {
      token: opts.token,
      fetch: opts.fetch
    }).catch(() => null)
    const entry = entries?.find(e => e.vers === version)
    if (entry && opts.cksum !== undefined && entry.cksum !== opts.cksum) {
      opts.onPoll?.(attempts, false)
      return {
        visible: false,
        attempts,
        durationMs: clock.now() - start,
        entry,
        cksumMismatch: true
      }
    }
    opts.onPoll?.(attempts, entry !== undefined)
    if (entry) return { visible: true, attempts, durationMs: clock.now() - start, entry }
    const elapsed = clock.now() - start
    if (elapsed >= timeoutMs) return { visible: false, attempts, durationMs: elapsed }
    await (opts.pause ?? clock.sleep)(Math.min(delay, timeoutMs - elapsed))
    delay = Math.min(delay * 2, maxDelay)
  }
}
