import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { startRegistry } from '../../src/registry/index.js'
import type { EmbeddedRegistry } from '../../src/registry/types.js'
import { fetchIndexEntries } from '../../src/sparse/client.js'
import { cargoSandbox } from '../helpers/sandbox.js'
import { cargo, cargoEnv, makeCrate, type CrateSpec } from './helpers.js'

const sandbox = cargoSandbox()
let registry: EmbeddedRegistry
let other: EmbeddedRegistry
let env: Record<string, string>

beforeAll(async () => {
  registry = await startRegistry()
  other = await startRegistry()
  env = cargoEnv(sandbox, { rehearsal: { registry }, other: { registry: other } })
})
afterAll(async () => {
  await registry.close()
  await other.close()
  sandbox.cleanup()
})

function publish(spec: CrateSpec, to = 'rehearsal') {
  return cargo(['publish', '--registry', to, '--no-verify'], makeCrate(sandbox, spec), env)
}

/** cargo's rendering of a JSON error body from the registry. */
const shown = (status: string, detail: string) =>
  `the remote server responded with an error (status ${status}): ${detail}`

describe('crates.io-strict mode, through cargo', () => {
  it('refuses missing description and license', async () => {
    const result = await publish({ name: 'sr-bare', metadata: false })
    expect(result.exitCode).not.toBe(0)
    expect(result.stderr).toContain(
      shown(
        '400 Bad Request',
        'missing or empty metadata fields: description, license. Please see https://doc.rust-lang.org/cargo/reference/manifest.html for more information on configuring these fields'
      )
    )
    expect(await fetchIndexEntries(registry.indexUrl, 'sr-bare')).toBeNull()
  })

  it('refuses more than 5 keywords', async () => {
    const result = await publish({
      name: 'sr-keywords',
      packageLines: ['keywords = ["a", "b", "c", "d", "e", "f"]']
    })
    expect(result.stderr).toContain(
      shown('400 Bad Request', 'expected at most 5 keywords per crate')
    )
  })

  it('refuses an invalid keyword', async () => {
    const result = await publish({
      name: 'sr-badword',
      packageLines: ['keywords = ["ok", "no way"]']
    })
    expect(result.stderr).toContain(shown('400 Bad Request', '"no way" is an invalid keyword'))
  })

  it('refuses more than 5 categories', async () => {
    const result = await publish({
      name: 'sr-categories',
      packageLines: ['categories = ["a", "b", "c", "d", "e", "f"]']
    })
    expect(result.stderr).toContain(
      shown('400 Bad Request', 'expected at most 5 categories per crate')
    )
  })

  it('refuses a crate name crates.io does not allow', async () => {
    const name = `sr-${'x'.repeat(62)}`
    const result = await publish({ name })
    expect(result.stderr).toContain(
      shown('400 Bad Request', `the crate name \`${name}\` is too long (max 64 characters)`)
    )
  })

  it('refuses a name equal to an existing crate up to case and -/_', async () => {
    expect((await publish({ name: 'sr_collide' })).exitCode).toBe(0)
    const result = await publish({ name: 'sr-collide' })
    expect(result.stderr).toContain(
      shown('400 Bad Request', 'crate was previously named `sr_collide`')
    )
  })

  it('refuses a duplicate version even with other build metadata', async () => {
    expect((await publish({ name: 'sr-dup', version: '0.1.0+first' })).exitCode).toBe(0)
    // Hidden from the index so that cargo's own "already exists" check lets the upload through.
    registry.faults.hideIndex('sr-dup', '0.1.0+first')
    try {
      const result = await publish({ name: 'sr-dup', version: '0.1.0+second' })
      expect(result.stderr).toContain(
        shown('400 Bad Request', 'crate version `0.1.0` is already uploaded')
      )
    } finally {
      registry.faults.clear()
    }
    expect(registry.faults.uploads()).toMatchObject({ 'sr-dup@0.1.0+first': 1 })
    expect(registry.faults.uploads()['sr-dup@0.1.0+second']).toBeUndefined()
  })

  it('refuses an upload over 10 MiB', async () => {
    const result = await publish({
      name: 'sr-huge',
      files: { 'data/noise.bin': randomBytes(10 * 1024 * 1024 + 4096) }
    })
    expect(result.stderr).toContain(shown('413 Payload Too Large', 'max upload size is: 10485760'))
    expect(await fetchIndexEntries(registry.indexUrl, 'sr-huge')).toBeNull()
  })

  it('refuses a dependency from a registry other than this one or crates.io', async () => {
    expect((await publish({ name: 'sr-elsewhere' }, 'other')).exitCode).toBe(0)
    const result = await publish({
      name: 'sr-cross',
      tail: ['[dependencies]', 'sr-elsewhere = { version = "0.1.0", registry = "other" }']
    })
    expect(result.stderr).toContain(
      shown(
        '400 Bad Request',
        'Dependency `sr-elsewhere` is hosted on another registry. Cross-registry dependencies are not permitted on crates.io.'
      )
    )
  })

  it('accepts a complete crate depending on this registry', async () => {
    expect((await publish({ name: 'sr-base' })).exitCode).toBe(0)
    const result = await publish({
      name: 'sr-ok',
      packageLines: ['keywords = ["c++", "no-std"]', 'categories = ["development-tools"]'],
      tail: ['[dependencies]', 'sr-base = { version = "0.1.0", registry = "rehearsal" }']
    })
    expect([result.exitCode, result.stderr]).toEqual([
      0,
      expect.stringContaining('Published sr-ok')
    ])
  })
})

describe('non-strict mode, through cargo', () => {
  it('accepts what only crates.io would refuse, like kellnr', async () => {
    const loose = await startRegistry({ strict: false })
    try {
      const looseEnv = cargoEnv(sandbox, { loose: { registry: loose } })
      const dir = makeCrate(sandbox, {
        name: 'sr-loose',
        metadata: false,
        packageLines: ['keywords = ["a", "b", "c", "d", "e", "f"]']
      })
      const result = await cargo(['publish', '--registry', 'loose', '--no-verify'], dir, looseEnv)
      expect([result.exitCode, result.stderr]).toEqual([
        0,
        expect.stringContaining('Published sr-loose')
      ])
    } finally {
      await loose.close()
    }
  })
})
