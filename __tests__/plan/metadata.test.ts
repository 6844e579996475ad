import { describe, expect, it } from '@jest/globals'
import type { CargoRunner } from '../../src/cargo/run.js'
import { UserError } from '../../src/errors.js'
import { cargoErrorLine } from '../../src/plan/cargo-error.js'
import { loadMetadata, parseMetadata } from '../../src/plan/metadata.js'
import { metadataFixture } from './fixtures.js'

function runner(result: { exitCode: number; stdout?: string; stderr?: string }) {
  const calls: { args: string[]; cwd?: string; env?: Record<string, string | undefined> }[] = []
  const cargo: CargoRunner = async (args, options = {}) => {
    calls.push({ args, cwd: options.cwd, env: options.env })
    return { stdout: '', stderr: '', ...result }
  }
  return { calls, cargo }
}

describe('cargo metadata schema', () => {
  it('reads the fields the plan uses from what cargo prints', () => {
    const metadata = metadataFixture('kinds')
    const plat = metadata.packages.find(p => p.name === 'k-plat')
    expect(plat?.dependencies).toContainEqual(
      expect.objectContaining({ name: 'k-base', rename: 'base', kind: null, req: '^2.1.0' })
    )
    expect(plat?.dependencies).toContainEqual(
      expect.objectContaining({ name: 'k-win', target: 'cfg(windows)' })
    )
    const serde = plat?.dependencies.find(d => d.name === 'serde')
    expect(serde).toMatchObject({ optional: true, registry: null })
    expect(serde?.path ?? null).toBeNull()
    expect(metadataFixture('publish').packages.map(p => p.publish)).toContainEqual([])
  })

  it('rejects output without workspace members', () => {
    expect(() => parseMetadata({ packages: [], workspace_root: '/ws' })).toThrow(
      /unexpected cargo metadata output/
    )
  })
})

describe('loadMetadata', () => {
  it('runs cargo metadata --no-deps for the manifest, from its folder, with the given env', async () => {
    const json = JSON.stringify({ packages: [], workspace_members: [], workspace_root: '/tmp' })
    const { calls, cargo } = runner({ exitCode: 0, stdout: json })
    await loadMetadata('/tmp/Cargo.toml', cargo, { CARGO_HOME: '/h' })
    expect(calls).toEqual([
      {
        args: [
          'metadata',
          '--format-version',
          '1',
          '--no-deps',
          '--manifest-path',
          '/tmp/Cargo.toml'
        ],
        cwd: '/tmp',
        env: { CARGO_HOME: '/h' }
      }
    ])
  })

  it("turns cargo's failure into a usage error carrying cargo's own first error line", async () => {
    const stderr = [
      'error: failed to parse manifest at `/ws/Cargo.toml`',
      '',
      'Caused by:',
      '  no targets specified in the manifest',
      '  either src/lib.rs, src/main.rs, a [lib] section, or [[bin]] section must be present'
    ].join('\n')
    const { cargo } = runner({ exitCode: 101, stderr })
    const error = await loadMetadata('/ws/Cargo.toml', cargo).catch(e => e)
    expect(error).toBeInstanceOf(UserError)
    expect(error.message).toContain(
      'failed to parse manifest at `/ws/Cargo.toml`: no targets specified in the manifest'
    )
    expect(error.hint).toContain('manifest-path')
    expect(error.exitCode).toBe(2)
  })
})

describe('cargoErrorLine', () => {
  it('takes the first error line when there is no cause', () => {
    expect(cargoErrorLine('warning: x\nerror: manifest path `a` does not exist\n')).toBe(
      'manifest path `a` does not exist'
    )
  })

  it('falls back to the first non-empty line', () => {
    expect(cargoErrorLine('\n  something odd\n')).toBe('something odd')
  })
})
