import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CACHE_STATE,
  cacheKey,
  cachePaths,
  computeCacheKey,
  envHash,
  restoreCache,
  saveCache,
  verifyTargetDir,
  type CacheKeyInputs,
  type CacheService,
  type ExecOutput,
  type StateStore
} from '../../src/github/cache.js'
import { memoryLogger } from '../../src/log.js'

const inputs: CacheKeyInputs = {
  os: 'ubuntu24-X64',
  rustcVersion: 'rustc 1.95.0 (abc 2026-04-01)\nbinary: rustc\nhost: x86_64-unknown-linux-gnu\n',
  cargoLockHash: 'f'.repeat(64),
  planId: '3'.repeat(64),
  envHash: 'e'.repeat(64)
}

const available = { ACTIONS_RUNTIME_TOKEN: 'rt', ACTIONS_RESULTS_URL: 'https://results.example/' }

function memoryState(
  initial: Record<string, string> = {}
): StateStore & { values: Record<string, string> } {
  const values = { ...initial }
  return {
    values,
    saveState: (name, value) => void (values[name] = value),
    getState: name => values[name] ?? ''
  }
}

/** A cache service stand-in: a map of key → paths, with the real service's prefix matching. */
function fakeService(stored: Record<string, string[]> = {}) {
  const calls: string[] = []
  const service: CacheService = {
    async restoreCache(paths, key, restoreKeys = []) {
      calls.push(`restore ${key} [${restoreKeys.join(',')}] ${paths.length} paths`)
      if (stored[key]) return key
      for (const prefix of restoreKeys) {
        const found = Object.keys(stored).find(k => k.startsWith(prefix))
        if (found) return found
      }
      return undefined
    },
    async saveCache(paths, key) {
      calls.push(`save ${key} ${JSON.stringify(paths)}`)
      stored[key] = paths
      return 17
    }
  }
  return { service: async () => service, calls, stored }
}

describe('cacheKey', () => {
  it('is deterministic and has the documented shape', () => {
    const a = cacheKey(inputs)
    expect(cacheKey({ ...inputs })).toEqual(a)
    expect(a.key).toMatch(/^shipper-rehearse-v1-ubuntu24-x64-[0-9a-f]{16}-[0-9a-f]{16}$/)
    expect(a.restoreKeys).toHaveLength(1)
    expect(a.key.startsWith(a.restoreKeys[0] as string)).toBe(true)
    expect(a.key).not.toContain(',')
  })

  it.each(Object.keys(inputs) as (keyof CacheKeyInputs)[])('changes when %s changes', field => {
    const changed = cacheKey({ ...inputs, [field]: `${inputs[field]}x` })
    expect(changed.key).not.toBe(cacheKey(inputs).key)
  })

  it('keeps the restore prefix when only the lockfile or the plan changes', () => {
    const base = cacheKey(inputs).restoreKeys
    expect(cacheKey({ ...inputs, planId: '4'.repeat(64) }).restoreKeys).toEqual(base)
    expect(cacheKey({ ...inputs, cargoLockHash: '0'.repeat(64) }).restoreKeys).toEqual(base)
    expect(cacheKey({ ...inputs, rustcVersion: 'rustc 1.96.0' }).restoreKeys).not.toEqual(base)
  })
})

describe('envHash', () => {
  it('hashes CARGO and RUST variables only, ignoring tokens and order', () => {
    const h = envHash({ RUSTFLAGS: '-D warnings', CARGO_INCREMENTAL: '0', HOME: '/a' })
    expect(envHash({ CARGO_INCREMENTAL: '0', RUSTFLAGS: '-D warnings', HOME: '/b' })).toBe(h)
    expect(
      envHash({ CARGO_INCREMENTAL: '0', RUSTFLAGS: '-D warnings', CARGO_REGISTRY_TOKEN: 't' })
    ).toBe(h)
    expect(envHash({ CARGO_INCREMENTAL: '0', RUSTFLAGS: '--cap-lints=warn' })).not.toBe(h)
  })
})

describe('paths', () => {
  it('caches the registry index and downloads and the target dir, in a fixed order', () => {
    expect(cachePaths('/home/r/.cargo', '/t/target')).toEqual([
      '/home/r/.cargo/registry/index',
      '/home/r/.cargo/registry/cache',
      '/t/target'
    ])
  })

  it('puts the verify target dir under RUNNER_TEMP', () => {
    expect(verifyTargetDir({ RUNNER_TEMP: '/runner/_temp' })).toBe(
      '/runner/_temp/shipper-rehearse/target'
    )
    expect(verifyTargetDir({})).toBe(join(tmpdir(), 'shipper-rehearse', 'target'))
  })
})

describe('computeCacheKey', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sr-cache-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('runs rustc -vV in the workspace and hashes Cargo.lock', async () => {
    const runs: string[] = []
    const exec: ExecOutput = async (cmd, args, { cwd }) => {
      runs.push(`${cmd} ${args.join(' ')} in ${cwd}`)
      return { exitCode: 0, stdout: inputs.rustcVersion }
    }
    const env = { ImageOS: 'ubuntu24', RUNNER_ARCH: 'X64' }
    writeFileSync(join(dir, 'Cargo.lock'), 'version = 4\n')
    const first = await computeCacheKey({ planId: inputs.planId, workspaceRoot: dir, env, exec })
    writeFileSync(join(dir, 'Cargo.lock'), 'version = 4\n# changed\n')
    const second = await computeCacheKey({ planId: inputs.planId, workspaceRoot: dir, env, exec })
    expect(runs).toEqual([`rustc -vV in ${dir}`, `rustc -vV in ${dir}`])
    expect(first.key).toMatch(/^shipper-rehearse-v1-ubuntu24-x64-/)
    expect(second.key).not.toBe(first.key)
    expect(second.restoreKeys).toEqual(first.restoreKeys)
  })
})

describe('computeCacheKey without rustc or Cargo.lock', () => {
  it('still produces a key, distinct from one with a toolchain', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sr-cache-empty-'))
    try {
      const failing: ExecOutput = async () => {
        throw new Error('Unable to locate executable file: rustc')
      }
      const working: ExecOutput = async () => ({ exitCode: 0, stdout: inputs.rustcVersion })
      const opts = { planId: inputs.planId, workspaceRoot: dir, env: {} }
      const without = await computeCacheKey({ ...opts, exec: failing })
      const withRustc = await computeCacheKey({ ...opts, exec: working })
      expect(without.key).toMatch(/^shipper-rehearse-v1-/)
      expect(without.key).not.toBe(withRustc.key)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('restore and save', () => {
  const key = cacheKey(inputs)
  const paths = cachePaths('/c', '/t')

  it('hands key and paths to the post step, which saves them after a miss', async () => {
    const state = memoryState()
    const fake = fakeService()
    const logger = memoryLogger()
    const restored = await restoreCache(key, paths, { ...fake, env: available, state, logger })
    expect(restored).toEqual({ kind: 'miss' })
    expect(state.values).toEqual({
      [CACHE_STATE.key]: key.key,
      [CACHE_STATE.paths]: JSON.stringify(paths)
    })
    const saved = await saveCache({ ...fake, env: available, state, logger })
    expect(saved).toEqual({ kind: 'saved', id: 17 })
    expect(fake.calls).toEqual([
      `restore ${key.key} [${key.restoreKeys[0]}] 3 paths`,
      `save ${key.key} ${JSON.stringify(paths)}`
    ])
  })

  it('does not save after an exact hit', async () => {
    const state = memoryState()
    const fake = fakeService({ [key.key]: paths })
    const logger = memoryLogger()
    expect(await restoreCache(key, paths, { ...fake, env: available, state, logger })).toEqual({
      kind: 'hit',
      matchedKey: key.key,
      exact: true
    })
    expect(await saveCache({ ...fake, env: available, state, logger })).toEqual({
      kind: 'skipped',
      reason: 'exact-hit'
    })
    expect(fake.calls.filter(c => c.startsWith('save'))).toEqual([])
  })

  it('saves under the primary key after a partial hit', async () => {
    const older = `${key.restoreKeys[0]}0000000000000000`
    const state = memoryState()
    const fake = fakeService({ [older]: paths })
    const logger = memoryLogger()
    expect(await restoreCache(key, paths, { ...fake, env: available, state, logger })).toEqual({
      kind: 'hit',
      matchedKey: older,
      exact: false
    })
    expect(await saveCache({ ...fake, env: available, state, logger })).toEqual({
      kind: 'saved',
      id: 17
    })
    expect(fake.stored[key.key]).toEqual(paths)
  })

  it('warns once and saves nothing when the cache service is missing', async () => {
    const state = memoryState()
    const fake = fakeService()
    const logger = memoryLogger()
    expect(await restoreCache(key, paths, { ...fake, env: {}, state, logger })).toEqual({
      kind: 'unavailable'
    })
    expect(await saveCache({ ...fake, env: {}, state, logger })).toEqual({
      kind: 'skipped',
      reason: 'not-restored'
    })
    expect(fake.calls).toEqual([])
    expect(logger.lines.filter(l => l.startsWith('warning:'))).toHaveLength(1)
    expect(logger.lines[0]).toMatch(/ACTIONS_RUNTIME_TOKEN/)
  })

  it('never throws: service errors become warnings', async () => {
    const broken = async (): Promise<CacheService> => ({
      restoreCache: async () => {
        throw new Error('reserve failed')
      },
      saveCache: async () => {
        throw new Error('upload failed')
      }
    })
    const state = memoryState()
    const logger = memoryLogger()
    const deps = { service: broken, env: available, state, logger }
    expect(await restoreCache(key, paths, deps)).toEqual({
      kind: 'failed',
      message: 'reserve failed'
    })
    expect(await saveCache(deps)).toEqual({ kind: 'failed', message: 'upload failed' })
    expect(logger.lines.filter(l => l.startsWith('warning:'))).toHaveLength(2)
  })

  it('refuses unreadable paths from the main step instead of saving something else', async () => {
    const state = memoryState({ [CACHE_STATE.key]: key.key, [CACHE_STATE.paths]: '"not a list"' })
    const fake = fakeService()
    const saved = await saveCache({ ...fake, env: available, state, logger: memoryLogger() })
    expect(saved.kind).toBe('failed')
    expect(fake.calls).toEqual([])
  })
})
