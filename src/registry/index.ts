/**
 * The embedded cargo registry: what a rehearsal publishes to when no kellnr is given, and what
 * every test publishes to. Started in-process with `startRegistry()`, or alone with
 * `shipper-rehearse registry serve`.
 *
 * Layout: kellnr's (the rehearsal registry it stands in for) on 127.0.0.1 only — `GET /api/v1/health`; the sparse index at
 * `/api/v1/crates/` with `config.json` (dl/api from the bound address) and index files at cargo's
 * prefix paths (any other prefix is a 404); `PUT /api/v1/crates/new`; downloads at
 * `/api/v1/crates/dl/{name}/{version}/download`; yank/unyank; owners; search; crates.io's
 * trusted-publishing exchange at `/api/v1/trusted_publishing/tokens`. A version is in the index
 * before its publish is answered.
 *
 * Modes:
 * - strict (default): uploads crates.io would refuse are refused with crates.io's message
 *   (validate.ts); non-strict behaves like kellnr.
 * - authRequired: index, config.json and downloads need the token too (`auth-required: true`);
 *   cargo then needs `CARGO_REGISTRIES_<NAME>_CREDENTIAL_PROVIDER=cargo:token`.
 * - trustedPublishing: JWTs from the configured test issuer (HS256 secret or RS256 key) buy
 *   `cio_tp_` tokens that expire on the injected clock and cannot create new crates.
 *
 * Storage (storage.ts) lives in `dataDir` (a restart serves the same crates; keep the port too,
 * since published manifests pin same-registry dependencies to the index URL) or in a temporary
 * directory removed on close(). Mutations are serialized and every file is written atomically.
 * `faults` (faults.ts) injects delays, hidden versions, failures and dropped connections for the
 * tests and benchmarks (README, "Fault injection"); `registry serve` never arms it.
 *
 * Modules: api.ts (routes), server.ts (loopback listener), publish-body.ts (upload format),
 * index-line.ts (index entries), validate.ts (strict rules), storage.ts, auth.ts, trusted.ts,
 * faults.ts, semver.ts.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { systemClock } from '../clock.js'
import { createApi, type RegistryState } from './api.js'
import { Faults } from './faults.js'
import { listenLoopback } from './server.js'
import { Mutex, Storage } from './storage.js'
import { TrustedPublishing } from './trusted.js'
import type { EmbeddedRegistry, EmbeddedRegistryOptions } from './types.js'

export type { EmbeddedRegistry, EmbeddedRegistryOptions } from './types.js'
export { encodePublishBody } from './publish-body.js'

export async function startRegistry(
  options: EmbeddedRegistryOptions = {}
): Promise<EmbeddedRegistry> {
  const clock = options.clock ?? systemClock
  const temporary = options.dataDir === undefined
  const dataDir = temporary
    ? await mkdtemp(join(tmpdir(), 'shipper-registry-'))
    : resolve(options.dataDir as string)
  const removeTemporary = () =>
    temporary ? rm(dataDir, { recursive: true, force: true }) : Promise.resolve()

  let state: RegistryState
  let listener: Awaited<ReturnType<typeof listenLoopback>>
  try {
    const faults = new Faults(clock)
    state = {
      storage: await Storage.open(dataDir),
      faults,
      trusted: new TrustedPublishing(options.trustedPublishing, clock),
      mutex: new Mutex(),
      clock,
      token: options.token ?? `srt_${randomBytes(24).toString('hex')}`,
      strict: options.strict ?? true,
      authRequired: options.authRequired ?? false,
      url: ''
    }
    listener = await listenLoopback(createApi(state), options.port ?? 0)
  } catch (error) {
    await removeTemporary()
    throw error
  }
  state.url = `http://127.0.0.1:${listener.port}`

  let closed: Promise<void> | undefined
  return {
    url: state.url,
    indexUrl: `sparse+${state.url}/api/v1/crates/`,
    port: listener.port,
    token: state.token,
    dataDir,
    faults: state.faults,
    close() {
      closed ??= (async () => {
        await listener.close()
        // Uploads in flight finish their writes before a temporary directory goes away.
        await state.mutex.run(async () => undefined)
        await removeTemporary()
      })()
      return closed
    }
  }
}
