import { systemClock } from '../../src/clock.js'
import { testContext } from '../helpers/context.js'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCargo } from '../../src/cargo/run.js'
import { watchCargo } from '../../src/cargo/watch.js'
import { UserError } from '../../src/errors.js'
import { computePlan } from '../../src/plan/index.js'
import { startRegistry, type EmbeddedRegistry } from '../../src/registry/index.js'
import { rehearse } from '../../src/rehearse/index.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'
import { rehearseCommand } from '../../src/cli/rehearse.js'
import { FIXTURES as REHEARSE_FIXTURES, readReceipt, rehearseOptions } from './helpers.js'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'diagnostics')

/** What cargo failed on, where, and the evidence kept: each case a small workspace, real cargo. */
let sandbox: CargoSandbox
let registry: EmbeddedRegistry

beforeAll(() => {
  sandbox = cargoSandbox('sr-diagnostics-')
})
afterAll(() => sandbox.cleanup())
beforeEach(async () => {
  registry = await startRegistry()
})
afterEach(() => registry.close())

const options = (ws: string, overrides = {}) =>
  rehearseOptions(join(ws, 'Cargo.toml'), {
    registryUrl: registry.url,
    registryToken: registry.token,
    ...overrides
  })

async function planError(ws: string): Promise<UserError> {
  const failed = await computePlan(
    {
      manifestPath: join(ws, 'Cargo.toml'),
      packages: [],
      targetRegistry: 'crates-io',
      targetRegistryUrl: ''
    },
    { cargo: runCargo, fetch: globalThis.fetch, env: sandbox.env }
  ).then(
    () => undefined,
    (error: unknown) => error
  )
  expect(failed).toBeInstanceOf(UserError)
  return failed as UserError
}

describe('a crate that builds only through feature unification', () => {
  it("reports rustc's E0425 with its location, names the checkout, and keeps the full cargo log", async () => {
    const ws = sandbox.copyFixture(join(FIXTURES, 'unify'), 'unify')
    const result = await rehearse(options(ws), testContext(sandbox.env, systemClock))

    expect(result.outcome).toBe('failed')
    expect(result.failure?.crate?.name).toBe('g-app')
    expect(result.failure?.message).toMatch(
      /^packaging g-app@0\.1\.0 failed: E0425: cannot find function `extra`.* \(g-app\/src\/lib\.rs:3:\d+\)$/
    )
    const evidence = result.failure?.stderrTail ?? ''
    expect(evidence).toMatch(/^error\[E0425\]: cannot find function `extra`/m)
    expect(evidence).toMatch(/^\s*--> .*src\/lib\.rs:3:\d+$/m)
    expect(evidence).not.toMatch(/^\s*(Packaging|Compiling|Verifying) /m)
    expect(JSON.stringify(result.failure)).not.toMatch(/shipper-rehearse-/)

    const log = result.cargoLog as string
    expect(log).toBe(join(ws, '.shipper', 'cargo.log'))
    const text = readFileSync(log, 'utf8')
    expect(text).toMatch(/cargo package -p g-lib/)
    expect(text).toMatch(/Verifying g-app v0\.1\.0/)
    expect(text).toMatch(/error\[E0425\]/)
    expect(text).not.toMatch(/shipper-rehearse-/)
    expect(text).not.toContain(registry.token)
    expect(JSON.stringify(readReceipt(join(ws, '.shipper')))).toMatch(/error\[E0425\]/)
  })
})

describe('a crate crates.io would refuse (no description), on the command line', () => {
  it('is told once, before any upload: one failure line naming the crate, the field and the fix', async () => {
    const ws = sandbox.copyFixture(join(REHEARSE_FIXTURES, 'chain'), 'chain')
    const ctx = testContext(sandbox.env, systemClock)
    const out: string[] = []
    const code = await rehearseCommand(options(ws), ctx, {
      out: l => void out.push(l),
      err: l => void out.push(l)
    })
    expect(code).toBe(1)
    const said = [...ctx.lines, ...out]
    const failureLines = said.filter(l => l.includes('missing or empty metadata fields'))
    expect(failureLines).toHaveLength(1)
    expect(failureLines[0]).toMatch(
      /^failed: 1 problem in 1 crate that 'crates-io' would refuse, found before any upload: third@0\.1\.0: package\.description: /
    )
    expect(failureLines[0]).toContain('third/Cargo.toml')
    expect(said.filter(l => /rehearsal stopped at|cargo said|upload failed/.test(l))).toEqual([])
    expect(out.filter(l => l.startsWith('hint: ')).length).toBeLessThanOrEqual(1)
  })
})

describe('a slow build script', () => {
  it('produces progress lines naming what cargo is on while it runs', async () => {
    const ws = sandbox.copyFixture(join(FIXTURES, 'slow'), 'slow')
    const ctx = testContext({ ...sandbox.env, SLOW_BUILD_MS: '2500' }, systemClock)
    ctx.cargo = watchCargo(runCargo, {
      progress: ctx.progress,
      now: () => Date.now(),
      intervalMs: 250
    })
    const result = await rehearse(options(ws), ctx)

    expect(result.outcome).toBe('passed')
    const ticks = ctx.lines.filter(l => /^cargo package: \d+s so far/.test(l))
    expect(ticks.length).toBeGreaterThan(0)
    expect(ticks.some(l => /cargo is on: (Compiling|Verifying) s-slow v0\.1\.0$/.test(l))).toBe(
      true
    )
  })
})

describe('problems found in manifests', () => {
  it('blames the crate whose path dependency has no version, at plan time, naming both crates', async () => {
    const ws = sandbox.copyFixture(join(FIXTURES, 'pathonly'), 'pathonly')
    const error = await planError(ws)
    expect(error.message).toBe(
      'c-pub depends on c-internal by path without a version requirement, so cargo cannot publish c-pub'
    )
    expect(error.hint).toContain(join(ws, 'c-pub', 'Cargo.toml'))
    expect(error.hint).toContain('version = "0.1.0"')
    expect(error.exitCode).toBe(2)
  })

  it("blames the crate whose requirement the sibling's version does not meet, at plan time", async () => {
    const ws = sandbox.copyFixture(join(FIXTURES, 'pathonly'), 'mismatch')
    const manifest = join(ws, 'c-pub', 'Cargo.toml')
    writeFileSync(
      manifest,
      readFileSync(manifest, 'utf8').replace(
        'c-internal = { path = "../c-internal" }',
        'c-internal = { path = "../c-internal", version = "0.2" }'
      )
    )
    const error = await planError(ws)
    expect(error.message).toBe(
      "c-pub requires c-internal ^0.2, but the workspace's c-internal is 0.1.0, so cargo cannot package c-pub"
    )
    expect(error.hint).toContain(manifest)
  })

  it("keeps cargo's file:line for a duplicate key in a member manifest", async () => {
    const ws = sandbox.copyFixture(join(FIXTURES, 'dupkey'), 'dupkey')
    const error = await planError(ws)
    // cargo names the member manifest relative to the workspace root, as it is in the checkout.
    expect(error.message).toMatch(/: duplicate key \(d-a\/Cargo\.toml:6:1\)$/)
    expect(existsSync(join(ws, '.shipper', 'rehearsal.json'))).toBe(false)
  })
})
