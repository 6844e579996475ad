import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startRegistry } from '../../src/registry/index.js'
import type { EmbeddedRegistry } from '../../src/registry/types.js'
import { fetchIndexEntries } from '../../src/sparse/client.js'
import { cargoSandbox } from '../helpers/sandbox.js'
import { cargo, cargoEnv, FIXTURES, sha256 } from './helpers.js'

const sandbox = cargoSandbox()
afterAll(() => sandbox.cleanup())

function installAndRun(root: string): string {
  const bin = join(root, 'bin', 'sr-gamma')
  expect(existsSync(bin)).toBe(true)
  return execFileSync(bin, { encoding: 'utf8' }).trim()
}

describe('with real cargo', () => {
  let registry: EmbeddedRegistry
  let env: Record<string, string>
  let ws: string

  beforeAll(async () => {
    registry = await startRegistry()
    env = cargoEnv(sandbox, { rehearsal: { registry } })
    ws = sandbox.copyFixture(join(FIXTURES, 'ws3'), 'ws3')
  })
  afterAll(() => registry.close())

  it('publishes a 3-crate workspace whose internal deps name this registry', async () => {
    const result = await cargo(['publish', '--workspace', '--registry', 'rehearsal'], ws, env)
    expect([result.exitCode, result.stderr]).toEqual([
      0,
      expect.stringContaining('Published sr-gamma v0.1.0')
    ])

    const beta = await fetchIndexEntries(registry.indexUrl, 'sr-beta')
    expect(beta?.[0]?.deps).toEqual([
      expect.objectContaining({ name: 'sr-alpha', req: '^0.1.0', registry: null, kind: 'normal' })
    ])
    expect(beta?.[0]?.features).toEqual({ loud: ['sr-alpha/loud'] })

    const gamma = (await fetchIndexEntries(registry.indexUrl, 'sr-gamma'))?.[0]
    expect(gamma?.deps).toEqual([
      expect.objectContaining({ name: 'beta', package: 'sr-beta', req: '^0.1.0' }),
      expect.objectContaining({ name: 'sr-alpha', optional: true })
    ])
    expect(gamma).toMatchObject({ features: {}, features2: { extra: ['dep:sr-alpha'] }, v: 2 })

    for (const name of ['sr-alpha', 'sr-beta', 'sr-gamma']) {
      const [entry] = (await fetchIndexEntries(registry.indexUrl, name)) ?? []
      const dl = await fetch(`${registry.url}/api/v1/crates/dl/${name}/0.1.0/download`)
      expect(entry?.cksum).toBe(sha256(Buffer.from(await dl.arrayBuffer())))
    }
    expect(registry.faults.uploads()).toEqual({
      'sr-alpha@0.1.0': 1,
      'sr-beta@0.1.0': 1,
      'sr-gamma@0.1.0': 1
    })
  })

  it('installs the published binary with cargo install --registry', async () => {
    const root = join(sandbox.root, 'install-1')
    const result = await cargo(
      ['install', '--registry', 'rehearsal', 'sr-gamma', '--version', '0.1.0', '--root', root],
      sandbox.root,
      env
    )
    expect([result.exitCode, result.stderr]).toEqual([
      0,
      expect.stringContaining('Installed package')
    ])
    expect(installAndRun(root)).toBe('gamma says hello hello')
  })

  it('reflects cargo yank and cargo yank --undo in the index', async () => {
    const yank = await cargo(
      ['yank', '--registry', 'rehearsal', 'sr-alpha@0.1.0'],
      sandbox.root,
      env
    )
    expect([yank.exitCode, yank.stderr]).toEqual([
      0,
      expect.stringContaining('Yank sr-alpha@0.1.0')
    ])
    expect((await fetchIndexEntries(registry.indexUrl, 'sr-alpha'))?.[0]?.yanked).toBe(true)

    const undo = await cargo(
      ['yank', '--undo', '--registry', 'rehearsal', 'sr-alpha@0.1.0'],
      sandbox.root,
      env
    )
    expect([undo.exitCode, undo.stderr]).toEqual([
      0,
      expect.stringContaining('Unyank sr-alpha@0.1.0')
    ])
    expect((await fetchIndexEntries(registry.indexUrl, 'sr-alpha'))?.[0]?.yanked).toBe(false)
  })

  it('refuses to publish a version again (cargo sees it in the index)', async () => {
    const again = await cargo(
      ['publish', '-p', 'sr-alpha', '--registry', 'rehearsal', '--no-verify'],
      ws,
      env
    )
    expect(again.exitCode).not.toBe(0)
    expect(again.stderr).toContain('already exists')
    expect(registry.faults.uploads()['sr-alpha@0.1.0']).toBe(1)
  })
})

describe('auth-required mode with cargo:token', () => {
  let registry: EmbeddedRegistry
  beforeAll(async () => {
    registry = await startRegistry({ authRequired: true, token: 'private-token' })
  })
  afterAll(() => registry.close())

  it('publishes and installs only with the token, read through the cargo:token provider', async () => {
    const env = cargoEnv(sandbox, { rehearsal: { registry, credentialProvider: true } })
    const ws = sandbox.copyFixture(join(FIXTURES, 'ws3'), 'ws3-auth')
    const publish = await cargo(
      ['publish', '--workspace', '--registry', 'rehearsal', '--no-verify'],
      ws,
      env
    )
    expect([publish.exitCode, publish.stderr]).toEqual([
      0,
      expect.stringContaining('Published sr-gamma')
    ])

    const root = join(sandbox.root, 'install-auth')
    const install = await cargo(
      ['install', '--registry', 'rehearsal', 'sr-gamma', '--root', root],
      sandbox.root,
      env
    )
    expect([install.exitCode, install.stderr]).toEqual([
      0,
      expect.stringContaining('Installed package')
    ])
    expect(installAndRun(root)).toBe('gamma says hello hello')
  })

  it('lets cargo fail with a wrong token', async () => {
    const env = cargoEnv(sandbox, {
      rehearsal: { registry, token: 'stolen-guess', credentialProvider: true }
    })
    const install = await cargo(
      [
        'install',
        '--registry',
        'rehearsal',
        'sr-gamma',
        '--root',
        join(sandbox.root, 'install-denied')
      ],
      sandbox.root,
      env
    )
    expect(install.exitCode).not.toBe(0)
    expect(install.stderr).toMatch(/403/)
  })
})

describe('persistence with cargo', () => {
  // Packaged manifests pin same-registry dependencies to the index URL, port included: a registry
  // that cargo is meant to keep using comes back on the same port.
  it('serves what cargo published after a restart on the same data directory and port', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sr-persist-'))
    try {
      const first = await startRegistry({ dataDir, token: 'keep' })
      const ws = sandbox.copyFixture(join(FIXTURES, 'ws3'), 'ws3-persist')
      const publish = await cargo(
        ['publish', '--workspace', '--registry', 'rehearsal', '--no-verify'],
        ws,
        cargoEnv(sandbox, { rehearsal: { registry: first } })
      )
      expect(publish.exitCode).toBe(0)
      await first.close()

      const second = await startRegistry({ dataDir, token: 'keep', port: first.port })
      try {
        const root = join(sandbox.root, 'install-persist')
        const install = await cargo(
          ['install', '--registry', 'rehearsal', 'sr-gamma', '--root', root],
          sandbox.root,
          cargoEnv(sandbox, { rehearsal: { registry: second } })
        )
        expect([install.exitCode, install.stderr]).toEqual([
          0,
          expect.stringContaining('Installed')
        ])
        expect(installAndRun(root)).toBe('gamma says hello hello')
      } finally {
        await second.close()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
