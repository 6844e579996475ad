import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { UserError } from '../../src/errors.js'
import { computePlan } from '../../src/plan/index.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'
import { workspaceFixture } from './fixtures.js'

const noFetch: typeof fetch = () => {
  throw new Error('crates.io needs no request')
}

describe('computePlan with real cargo', () => {
  let sandbox: CargoSandbox
  let layered: string
  let serdeLike: string
  let single: string
  let softEdge: string

  beforeAll(() => {
    sandbox = cargoSandbox()
    layered = sandbox.copyFixture(workspaceFixture('layered'), 'layered')
    serdeLike = sandbox.copyFixture(workspaceFixture('serde-like'), 'serde-like')
    single = sandbox.copyFixture(workspaceFixture('single'), 'single')
    softEdge = sandbox.copyFixture(workspaceFixture('soft-edge'), 'soft-edge')
  })

  afterAll(() => sandbox.cleanup())

  function planFor(dir: string, packages: string[] = []) {
    return computePlan(
      {
        manifestPath: join(dir, 'Cargo.toml'),
        packages,
        targetRegistry: 'crates-io',
        targetRegistryUrl: ''
      },
      { env: sandbox.env, fetch: noFetch }
    )
  }

  it('plans a layered workspace bottom-up and skips its unpublished xtask', async () => {
    const plan = await planFor(layered)
    expect(plan.packages.map(p => p.name)).toEqual(['layered-core', 'layered-util', 'layered-cli'])
    expect(plan.levels).toEqual([['layered-core'], ['layered-util'], ['layered-cli']])
    expect(plan.skipped).toEqual([
      { name: 'layered-xtask', version: '0.0.0', reason: 'publish = false' }
    ])
    expect(plan.packages.map(p => p.version)).toEqual(['0.3.0', '0.3.0', '0.3.0'])
    expect(plan.packages[2]).toMatchObject({
      manifestPath: join(layered, 'crates/cli/Cargo.toml'),
      dependencies: ['layered-core', 'layered-util'],
      bins: ['layered'],
      hasLib: false
    })
    expect(plan.workspaceRoot).toBe(layered)
    expect(plan.apiBase).toBe('https://crates.io')
    // printf 'https://crates.io\nlayered-core@0.3.0\nlayered-util@0.3.0\nlayered-cli@0.3.0\n' | sha256sum
    expect(plan.planId).toBe('e6c3d363b3e94291792cca2b1cc75a17a99b9abccee4297ca1a527a9f18db19c')
  })

  it('drops the cycle-closing dev-dependency of a serde-like pair', async () => {
    const plan = await planFor(serdeLike)
    expect(plan.packages.map(p => p.name)).toEqual(['tinyser_derive', 'tinyser'])
    expect(plan.droppedDevEdges).toEqual([{ from: 'tinyser_derive', to: 'tinyser', req: '^0.2' }])
    expect(plan.packages[0]?.hasLib).toBe(true)
    // printf 'https://crates.io\ntinyser_derive@0.2.0\ntinyser@0.2.0\n' | sha256sum
    expect(plan.planId).toBe('7818c01363b760023182d5459af5b4ec322f5bf59da9cb5917717ddb0c1b7487')
  })

  it("gives a workspace ordered by a versioned dev-dependency shipper's plan_id", async () => {
    const plan = await planFor(softEdge)
    expect(plan.packages.map(p => p.name)).toEqual(['b', 'a'])
    expect(plan.shipperOrder).toEqual(['a', 'b'])
    // printf 'https://crates.io\na@0.1.0\nb@0.1.0\n' | sha256sum
    expect(plan.planId).toBe('fc02c8f9f62d63326bee6b3ca9c3806c3cf14dc2eb4c96cf2842004156b3c50c')
  })

  it('plans a single-package manifest', async () => {
    const plan = await planFor(single)
    expect(plan.packages).toEqual([
      {
        name: 'solo',
        version: '1.2.3',
        level: 0,
        manifestPath: join(single, 'Cargo.toml'),
        dependencies: [],
        bins: ['solo'],
        hasLib: true
      }
    ])
    // printf 'https://crates.io\nsolo@1.2.3\n' | sha256sum
    expect(plan.planId).toBe('c7debc99586b6e83047a8bc15a53e807f5321cf0bc527a9c45b45edf5c07fe0b')
  })

  it('closes a selection over its dependencies', async () => {
    const plan = await planFor(layered, ['layered-util'])
    expect(plan.packages.map(p => p.name)).toEqual(['layered-core', 'layered-util'])
  })

  it('resolves nothing: no lock file appears', async () => {
    await planFor(layered)
    expect(existsSync(join(layered, 'Cargo.lock'))).toBe(false)
  })

  it("reports a missing manifest as bad input with cargo's own words", async () => {
    const error = await planFor(join(sandbox.root, 'nowhere')).catch(e => e)
    expect(error).toBeInstanceOf(UserError)
    expect(error.message).toContain('does not exist')
    expect(error.exitCode).toBe(2)
  })
})
