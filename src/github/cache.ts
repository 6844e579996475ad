/**
 * Cargo caches across runs with the Actions cache service, the way rust-cache does it: restore in
 * the main step, save in the post step, skip the save on an exact hit. The registry index and
 * downloaded .crate files plus the verification target dir are what make a rehearsal fast; the
 * unpacked `registry/src` is cheaper to recreate than to download. A cache is an optimisation:
 * nothing here ever fails the run.
 *
 * Key: `shipper-rehearse-v1-<os>-<toolchain>-<content>`, where `toolchain` hashes `rustc -vV` and
 * the CARGO and RUST environment (a target dir from another compiler is useless) and `content`
 * hashes Cargo.lock and the plan_id. The restore key `shipper-rehearse-v1-<os>-<toolchain>-` lets
 * a changed lockfile or plan start from the previous build of the same toolchain.
 */
import { getExecOutput } from '@actions/exec'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import type { Logger } from '../log.js'
import type { Env } from './run-info.js'

export const CACHE_PREFIX = 'shipper-rehearse-v1'

/** Names under which main hands the cache over to the post step (core.saveState / getState). */
export const CACHE_STATE = {
  key: 'cache-key',
  matchedKey: 'cache-matched-key',
  paths: 'cache-paths'
} as const

export interface CacheKeyInputs {
  os: string
  /** Output of `rustc -vV`. */
  rustcVersion: string
  cargoLockHash: string
  planId: string
  envHash: string
}

export interface CacheKey {
  key: string
  restoreKeys: string[]
}

/** The two calls of @actions/cache this module makes. */
export interface CacheService {
  restoreCache(
    paths: string[],
    primaryKey: string,
    restoreKeys?: string[]
  ): Promise<string | undefined>
  saveCache(paths: string[], key: string): Promise<number>
}

/** @actions/core's saveState / getState. */
export interface StateStore {
  saveState(name: string, value: string): void
  getState(name: string): string
}

export interface CacheDeps {
  /** Loads the service only when it will be used: @actions/cache is heavy. */
  service: () => Promise<CacheService>
  env: Env
  state: StateStore
  logger: Logger
}

export type RestoreOutcome =
  | { kind: 'unavailable' }
  | { kind: 'miss' }
  | { kind: 'hit'; matchedKey: string; exact: boolean }
  | { kind: 'failed'; message: string }

export type SaveOutcome =
  | { kind: 'saved'; id: number }
  | { kind: 'skipped'; reason: 'not-restored' | 'exact-hit' | 'unavailable' }
  | { kind: 'failed'; message: string }

const pathsSchema = z.array(z.string().min(1)).min(1)

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** Keys may not contain commas and should stay readable: keep letters, digits, `.`, `_` and `-`. */
function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9._-]+/g, '_') || 'unknown'
}

/** Pure: the primary key and the restore-key prefixes. Every input changes the key. */
export function cacheKey(inputs: CacheKeyInputs): CacheKey {
  const toolchain = sha256(`rustc\n${inputs.rustcVersion.trim()}\nenv\n${inputs.envHash}`).slice(
    0,
    16
  )
  const content = sha256(`lock\n${inputs.cargoLockHash}\nplan\n${inputs.planId}`).slice(0, 16)
  const toolchainPrefix = `${CACHE_PREFIX}-${slug(inputs.os)}-${toolchain}-`
  return { key: `${toolchainPrefix}${content}`, restoreKeys: [toolchainPrefix] }
}

/**
 * Pure: a hash of the CARGO* and RUST* variables, which change what cargo builds. Tokens are left
 * out: they are secrets, and trusted-publishing tokens change every run.
 */
export function envHash(env: Env): string {
  const lines = Object.entries(env)
    .filter(
      ([name, value]) => value !== undefined && /^(CARGO|RUST)/.test(name) && !/TOKEN/.test(name)
    )
    .map(([name, value]) => `${name}=${value}`)
    .sort()
  return sha256(lines.join('\n'))
}

/** The runner image (ImageOS) or OS, plus the architecture: native code differs between them. */
export function cacheOs(env: Env): string {
  return `${env.ImageOS || env.RUNNER_OS || process.platform}-${env.RUNNER_ARCH || process.arch}`
}

export function defaultCargoHome(env: Env): string {
  return env.CARGO_HOME || join(homedir(), '.cargo')
}

/** Where rehearsal verify builds should go so the post step can cache them. */
export function verifyTargetDir(env: Env): string {
  return join(env.RUNNER_TEMP || tmpdir(), 'shipper-rehearse', 'target')
}

/** Save and restore must pass this identical array: the service hashes it into the cache version. */
export function cachePaths(cargoHome: string, targetDir: string): string[] {
  return [join(cargoHome, 'registry', 'index'), join(cargoHome, 'registry', 'cache'), targetDir]
}

/** The runner gives these only to JavaScript actions; without them the service cannot be reached. */
export function cacheServiceAvailable(env: Env): boolean {
  return Boolean(env.ACTIONS_RUNTIME_TOKEN && env.ACTIONS_RESULTS_URL)
}

export type ExecOutput = (
  command: string,
  args: string[],
  options: { cwd: string }
) => Promise<{ exitCode: number; stdout: string }>

/** Reads the key's inputs: `rustc -vV` run in the workspace (rust-toolchain.toml applies there), Cargo.lock. */
export async function computeCacheKey(options: {
  planId: string
  workspaceRoot: string
  env: Env
  /** Defaults to @actions/exec, silent and ignoring the exit code. */
  exec?: ExecOutput
}): Promise<CacheKey> {
  const { env, workspaceRoot } = options
  const exec: ExecOutput =
    options.exec ??
    ((cmd, args, o) => getExecOutput(cmd, args, { ...o, silent: true, ignoreReturnCode: true }))
  const rustcVersion = await exec(env.RUSTC || 'rustc', ['-vV'], { cwd: workspaceRoot })
    .then(out => (out.exitCode === 0 ? out.stdout : 'rustc unavailable'))
    .catch(() => 'rustc unavailable')
  const cargoLockHash = await readFile(join(workspaceRoot, 'Cargo.lock'), 'utf8')
    .then(sha256)
    .catch(() => 'no Cargo.lock')
  return cacheKey({
    os: cacheOs(env),
    rustcVersion,
    cargoLockHash,
    planId: options.planId,
    envHash: envHash(env)
  })
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * Restores the caches and records what the post step needs. Without the cache service it warns
 * once and records nothing, so the post step stays silent.
 */
export async function restoreCache(
  key: CacheKey,
  paths: string[],
  deps: CacheDeps
): Promise<RestoreOutcome> {
  const { logger, state } = deps
  if (!cacheServiceAvailable(deps.env)) {
    logger.warning(
      'cache: the Actions cache service is not available to this step (no ACTIONS_RUNTIME_TOKEN / ACTIONS_RESULTS_URL); cargo caches are neither restored nor saved'
    )
    return { kind: 'unavailable' }
  }
  state.saveState(CACHE_STATE.key, key.key)
  state.saveState(CACHE_STATE.paths, JSON.stringify(paths))
  try {
    const service = await deps.service()
    const matched = await service.restoreCache(paths, key.key, key.restoreKeys)
    if (!matched) {
      // @actions/cache answers a miss and a failing service alike (it warns about the latter itself).
      logger.info(`cache: nothing restored for ${key.key}`)
      return { kind: 'miss' }
    }
    state.saveState(CACHE_STATE.matchedKey, matched)
    const exact = matched === key.key
    logger.info(`cache: restored ${matched}${exact ? '' : ` (a partial match for ${key.key})`}`)
    return { kind: 'hit', matchedKey: matched, exact }
  } catch (error) {
    logger.warning(`cache: restore failed, continuing without it: ${message(error)}`)
    return { kind: 'failed', message: message(error) }
  }
}

/** The post step: saves what main restored under the key main computed, unless it was an exact hit. */
export async function saveCache(deps: CacheDeps): Promise<SaveOutcome> {
  const { logger, state } = deps
  const key = state.getState(CACHE_STATE.key)
  if (!key) {
    logger.debug('cache: main did not restore a cache; nothing to save')
    return { kind: 'skipped', reason: 'not-restored' }
  }
  if (state.getState(CACHE_STATE.matchedKey) === key) {
    logger.info(`cache: exact hit on ${key}; not saving`)
    return { kind: 'skipped', reason: 'exact-hit' }
  }
  if (!cacheServiceAvailable(deps.env)) {
    logger.warning('cache: the Actions cache service is not available to the post step; not saving')
    return { kind: 'skipped', reason: 'unavailable' }
  }
  let paths: string[]
  try {
    paths = pathsSchema.parse(JSON.parse(state.getState(CACHE_STATE.paths)))
  } catch {
    logger.warning('cache: the cache paths handed over by the main step are unreadable; not saving')
    return { kind: 'failed', message: 'unreadable cache paths' }
  }
  try {
    const service = await deps.service()
    const id = await service.saveCache(paths, key)
    if (id === -1) {
      logger.info(`cache: the service stored nothing under ${key}`)
      return { kind: 'failed', message: 'the cache service stored nothing' }
    }
    logger.info(`cache: saved ${key}`)
    return { kind: 'saved', id }
  } catch (error) {
    logger.warning(`cache: save failed: ${message(error)}`)
    return { kind: 'failed', message: message(error) }
  }
}

/** The real service, loaded on first use. */
export const loadActionsCache = async (): Promise<CacheService> => import('@actions/cache')
