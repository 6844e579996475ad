import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { systemClock } from '../../src/clock.js'
import { testContext } from '../helpers/context.js'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCargo } from '../../src/cargo/run.js'
import { startRegistry, type EmbeddedRegistry } from '../../src/registry/index.js'
import { rehearse } from '../../src/rehearse/index.js'
import { fetchIndexEntries } from '../../src/sparse/client.js'
import { readSparseSnapshot } from '../../src/target/snapshot.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'
import { FIXTURES, readEventLines, readReceipt, rehearseOptions } from './helpers.js'

let sandbox: CargoSandbox
let ws: string
let standIn: EmbeddedRegistry

beforeAll(async () => {
  sandbox = cargoSandbox('sr-rehearse-cycle-')
  ws = sandbox.copyFixture(join(FIXTURES, 'cycle'), 'cycle')
  standIn = await startRegistry()
})

afterAll(async () => {
  await standIn.close()
  sandbox.cleanup()
})

describe('rehearse (a versioned dev-dependency cycle, serde-like)', () => {
  it('fails at packaging with the plan’s advice when the live registry has no older version to close the cycle', async () => {
    const ctx = testContext(sandbox.env, systemClock)
    const result = await rehearse(rehearseOptions(join(ws, 'Cargo.toml')), ctx)

    expect(result.outcome).toBe('failed')
    expect(result.plan?.droppedDevEdges).toEqual([
      { from: 'serderive', to: 'sercore', req: '^0.1' }
    ])
    expect(result.packages.map(p => [p.name, p.status])).toEqual([
      ['serderive', 'failed'],
      ['sercore', 'pending']
    ])
    expect(result.failure?.message).toMatch(/^packaging serderive@0\.1\.1 failed: /)
    expect(result.failure?.stderrTail).toContain('no matching package named `sercore` found')
    expect(result.failure?.hint).toBe(
      'serderive dev-depends on sercore ^0.1 through a cycle, which resolves from versions already on crates-io; drop the version from that dev-dependency (keep only its path) so cargo strips it'
    )
    expect(readReceipt(join(ws, '.shipper')).summary).toMatch(
      /^rehearsal stopped at 1\/2: packaging serderive/
    )
    // The engine itself looked for sercore on the live registry (offline here), so the CLI warns
    // as the action does.
    expect(ctx.logger.lines).toContainEqual(
      expect.stringMatching(/^warning: could not read sercore from the crates-io index/)
    )
  })

  it('refuses before anything is touched when the live index holds no version the dropped edge can resolve to', async () => {
    const ctx = testContext(sandbox.env, systemClock)
    const liveIndex = readSparseSnapshot(standIn.indexUrl, ['sercore'], { fetch: ctx.fetch })
    await expect(
      rehearse(rehearseOptions(join(ws, 'Cargo.toml')), ctx, { liveIndex })
    ).rejects.toMatchObject({
      name: 'UserError',
      message: expect.stringContaining(
        'serderive dev-depends on sercore ^0.1, which must resolve from versions already on crates-io, and none matches (it has none)'
      )
    })
    expect(ctx.lines).toEqual([])
  })

  it('passes when the cycle-closing dev-dependency resolves from the older version on (a stand-in for) crates.io', async () => {
    const old = sandbox.copyFixture(join(FIXTURES, 'cycle-old'), 'cycle-old')
    const published = await runCargo(['publish', '--registry', 'standin', '--allow-dirty'], {
      cwd: old,
      env: {
        ...sandbox.env,
        CARGO_REGISTRIES_STANDIN_INDEX: standIn.indexUrl,
        CARGO_REGISTRIES_STANDIN_TOKEN: standIn.token
      }
    })
    expect(published.stderr).toContain('Published sercore v0.1.0')
    writeFileSync(
      join(sandbox.cargoHome, 'config.toml'),
      [
        '[source.crates-io]',
        'replace-with = "standin"',
        '',
        '[source.standin]',
        `registry = ${JSON.stringify(standIn.indexUrl)}`,
        '',
        '[net]',
        'retry = 0',
        ''
      ].join('\n')
    )
    const rehearsal = await startRegistry()
    try {
      const result = await rehearse(
        rehearseOptions(join(ws, 'Cargo.toml'), {
          registryUrl: rehearsal.url,
          registryToken: rehearsal.token
        }),
        testContext(sandbox.env, systemClock)
      )

      expect(result.failure).toBeUndefined()
      expect(result.outcome).toBe('passed')
      expect(result.packages.map(p => [p.name, p.status])).toEqual([
        ['serderive', 'published'],
        ['sercore', 'published']
      ])
      expect(readReceipt(join(ws, '.shipper')).passed).toBe(true)
      const events = readEventLines(join(ws, '.shipper', 'events.jsonl'))
      expect(
        events.filter(e => e.event_type.type === 'rehearsal_complete').map(e => e.event_type)
      ).toEqual([
        expect.objectContaining({ passed: false }),
        expect.objectContaining({ passed: true })
      ])
      // The dev-dependency still points at crates.io; the normal one at the rehearsal registry.
      const derive = (await fetchIndexEntries(rehearsal.indexUrl, 'serderive'))?.[0]
      expect(derive?.deps).toEqual([
        expect.objectContaining({
          name: 'sercore',
          req: '^0.1',
          kind: 'dev',
          registry: 'https://github.com/rust-lang/crates.io-index'
        })
      ])
      const core = (await fetchIndexEntries(rehearsal.indexUrl, 'sercore'))?.[0]
      expect(core?.deps).toEqual([expect.objectContaining({ name: 'serderive', req: '=0.1.1' })])
      expect(core?.deps[0]?.registry ?? null).toBeNull()
    } finally {
      await rehearsal.close()
    }
  })
})
