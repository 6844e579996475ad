/**
 * Planned versions the live registry already lists, compared with the local sources, so a
 * forgotten version bump is caught instead of being skipped as "already published".
 *
 * How: the live `.crate` is downloaded through config.json's `dl` and each of its files is
 * hashed; the local side is the list `cargo package --list` gives, hashed from disk (as the
 * content digest does). cargo's generated files (`Cargo.toml`, `Cargo.lock`,
 * `.cargo_vcs_info.json`) are left aside; `Cargo.toml.orig` is the author's manifest, compared
 * with the crate's Cargo.toml. Values a member inherits from the workspace root (`x.workspace =
 * true`) only show in the generated Cargo.toml, so a change there alone is not seen.
 */
import type { CargoRunner } from '../cargo/run.js'
import { packagedEntries } from '../plan/digest.js'
import type { PlannedCrate } from '../plan/types.js'
import { fetchIndexEntries, fetchRegistryConfig } from '../sparse/client.js'
import { unresolvedHost } from '../sparse/dns.js'
import { mapLimit } from '../util/concurrency.js'
import { crateFileHashes } from './crate-archive.js'

export type LiveVersion =
  | { kind: 'new' }
  | { kind: 'same' }
  | { kind: 'different'; files: string[] }
  | { kind: 'unknown'; reason: string }

export interface LiveVersionDeps {
  /** `sparse+` index URL of the live registry. */
  indexUrl: string
  /** Sent only to a registry that is not crates.io and needs one to be read. */
  token?: string
  fetch: typeof fetch
  cargo: CargoRunner
  env: Record<string, string | undefined>
  workspaceRoot: string
  /** Left out of the local side wherever it lies, as the content digest leaves it out. */
  stateDir?: string
}

const GENERATED = new Set(['Cargo.toml', 'Cargo.lock', '.cargo_vcs_info.json'])
const READ_TIMEOUT_MS = 60_000
const MARKERS = /\{(crate|version|prefix|lowerprefix|sha256-checksum)\}/

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function prefixOf(name: string): string {
  if (name.length <= 2) return String(name.length)
  if (name.length === 3) return `3/${name[0]}`
  return `${name.slice(0, 2)}/${name.slice(2, 4)}`
}

/** cargo's rule for config.json's `dl`: a template with markers, else `<dl>/<crate>/<version>/download`. */
export function downloadUrl(dl: string, name: string, version: string, cksum: string): string {
  if (!MARKERS.test(dl)) return `${dl.replace(/\/+$/, '')}/${name}/${version}/download`
  return dl
    .replaceAll('{crate}', name)
    .replaceAll('{version}', version)
    .replaceAll('{prefix}', prefixOf(name))
    .replaceAll('{lowerprefix}', prefixOf(name).toLowerCase())
    .replaceAll('{sha256-checksum}', cksum)
}

/** Paths whose contents differ between the live archive and the local sources. Pure. */
export function differingFiles(
  live: ReadonlyMap<string, string>,
  local: ReadonlyMap<string, string>
): string[] {
  const paths = new Set([...live.keys(), ...local.keys()])
  return [...paths].filter(p => !GENERATED.has(p) && live.get(p) !== local.get(p)).sort()
}

/** For each planned crate, what the live registry holds of its planned version. */
export async function compareLiveVersions(
  crates: readonly PlannedCrate[],
  deps: LiveVersionDeps
): Promise<Map<string, LiveVersion>> {
  // A live registry that hangs must not hang the run: the version is then "unknown".
  const signal = () => AbortSignal.timeout(READ_TIMEOUT_MS)
  const read = { fetch: deps.fetch, ...(deps.token ? { token: deps.token } : {}) }
  let dl: Promise<string> | undefined
  // A host that did not resolve will not resolve for the next crate either: asking again only
  // waits for the resolver (5 s a time where it drops bursts of queries, as offline ones do).
  let unresolved: string | undefined
  const offline = (host: string): LiveVersion => ({
    kind: 'unknown',
    reason: `its live index could not be read: cannot resolve ${host} (DNS; is this machine offline?)`
  })
  const results = await mapLimit(crates, 4, async (crate): Promise<LiveVersion> => {
    if (unresolved !== undefined) return offline(unresolved)
    let cksum: string
    try {
      const entries = await fetchIndexEntries(deps.indexUrl, crate.name, {
        ...read,
        signal: signal()
      })
      const entry = entries?.find(e => e.vers === crate.version)
      if (!entry) return { kind: 'new' }
      cksum = entry.cksum
    } catch (error) {
      const host = unresolvedHost(error)
      if (host === undefined) {
        return { kind: 'unknown', reason: `its live index could not be read: ${message(error)}` }
      }
      unresolved ??= host
      return offline(host)
    }
    try {
      dl ??= fetchRegistryConfig(deps.indexUrl, { ...read, signal: signal() }).then(c => c.dl)
      const url = downloadUrl(await dl, crate.name, crate.version, cksum)
      const res = await deps.fetch(url, {
        headers: deps.token ? { Authorization: deps.token } : {},
        redirect: 'follow',
        signal: signal()
      })
      if (res.status !== 200) {
        await res.body?.cancel()
        throw new Error(`GET ${url} answered ${res.status}`)
      }
      const live = crateFileHashes(Buffer.from(await res.arrayBuffer()))
      const localEntries = await packagedEntries(crate, deps.workspaceRoot, {
        cargo: deps.cargo,
        env: deps.env,
        ...(deps.stateDir !== undefined ? { stateDir: deps.stateDir } : {})
      })
      const local = new Map(localEntries.map(e => [e.path, e.sha256]))
      const files = differingFiles(live, local).filter(p => !p.startsWith('<'))
      return files.length === 0 ? { kind: 'same' } : { kind: 'different', files }
    } catch (error) {
      return {
        kind: 'unknown',
        reason: `the published archive could not be compared: ${message(error)}`
      }
    }
  })
  return new Map(crates.map((c, i) => [c.name, results[i] as LiveVersion]))
}

/** A line per crate whose planned version is live, saying what that means. */
export function describeLiveVersion(
  crate: Pick<PlannedCrate, 'name' | 'version'>,
  state: LiveVersion,
  target: string
): string | undefined {
  const key = `${crate.name}@${crate.version}`
  switch (state.kind) {
    case 'new':
      return undefined
    case 'same':
      return `${key} is already on '${target}' with these exact sources: a partial release being resumed (it will not be uploaded again)`
    case 'different':
      return `${key} is already on '${target}' with other contents (${state.files.slice(0, 5).join(', ')}${state.files.length > 5 ? ', …' : ''} differ): bump the version of ${crate.name}`
    case 'unknown':
      return `${key}: whether '${target}' already has this version is unknown: ${state.reason}`
  }
}
