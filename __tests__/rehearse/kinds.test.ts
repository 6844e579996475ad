import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { systemClock } from '../../src/clock.js'
import { testContext } from '../helpers/context.js'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startRegistry, type EmbeddedRegistry } from '../../src/registry/index.js'
import { rehearse } from '../../src/rehearse/index.js'
import { fetchIndexEntries } from '../../src/sparse/client.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'
import { FIXTURES, readEventLines, readReceipt, rehearseOptions } from './helpers.js'

let sandbox: CargoSandbox
let registry: EmbeddedRegistry
let ws: string

beforeAll(async () => {
  sandbox = cargoSandbox('sr-rehearse-kinds-')
  ws = sandbox.copyFixture(join(FIXTURES, 'kinds'), 'kinds')
  registry = await startRegistry()
})

afterAll(async () => {
  await registry.close()
  sandbox.cleanup()
})

describe('rehearse (every kind of in-workspace dependency)', () => {
  it('resolves renamed, optional, build, cfg and inherited dependencies from the rehearsal registry, and leaves the checkout alone', async () => {
    const manifests = ['Cargo.toml', 'base', 'extra', 'tiny', 'user'].map(p =>
      p.endsWith('.toml') ? p : `${p}/Cargo.toml`
    )
    const before = manifests.map(m => readFileSync(join(ws, m), 'utf8'))

    const result = await rehearse(
      rehearseOptions(join(ws, 'Cargo.toml'), {
        registryUrl: registry.url,
        registryToken: registry.token,
        smokeBuild: true
      }),
      testContext(sandbox.env, systemClock)
    )

    expect(result.failure).toBeUndefined()
    expect(result.outcome).toBe('passed')
    expect(result.packages.map(p => [p.name, p.status])).toEqual([
      ['base', 'published'],
      ['extra', 'published'],
      ['tiny', 'published'],
      ['user', 'published']
    ])
    expect(readReceipt(join(ws, '.shipper')).passed).toBe(true)
    const events = readEventLines(join(ws, '.shipper', 'events.jsonl'))
    expect(events.at(-1)?.event_type).toMatchObject({ type: 'rehearsal_complete', passed: true })
    expect(manifests.map(m => readFileSync(join(ws, m), 'utf8'))).toEqual(before)

    // Same-registry dependencies carry no `registry` in the index; a crates.io one would.
    const user = (await fetchIndexEntries(registry.indexUrl, 'user'))?.[0]
    const deps = user?.deps.map(d => ({
      name: d.name,
      package: d.package ?? null,
      kind: d.kind ?? 'normal',
      optional: d.optional,
      target: d.target ?? null,
      registry: d.registry ?? null
    }))
    expect(deps?.sort((a, b) => `${a.name}${a.kind}`.localeCompare(`${b.name}${b.kind}`))).toEqual([
      { name: 'b', package: 'base', kind: 'build', optional: false, target: null, registry: null },
      { name: 'b', package: 'base', kind: 'normal', optional: false, target: null, registry: null },
      {
        name: 'extra',
        package: null,
        kind: 'normal',
        optional: true,
        target: null,
        registry: null
      },
      {
        name: 'tiny-renamed',
        package: 'tiny',
        kind: 'normal',
        optional: false,
        target: 'cfg(not(target_os = "none"))',
        registry: null
      }
    ])
    const base = (await fetchIndexEntries(registry.indexUrl, 'base'))?.[0]
    expect(base?.deps).toEqual([])
  })
})
