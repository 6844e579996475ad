import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { cpSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gateOnly } from '../../src/publish/index.js'
import { readEvents } from '../../src/record/events.js'
import { readRehearsal } from '../../src/record/rehearsal.js'
import { expectShipperReadable } from '../helpers/shipper-reader.js'
import { testOptions } from '../helpers/options.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'
import { workspaceFixture } from '../plan/fixtures.js'
import { MemoryArtifacts, testContext } from './helpers.js'

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'shipper', 'layered')
// printf 'https://crates.io\nlayered-core@0.3.0\nlayered-util@0.3.0\nlayered-cli@0.3.0\n' | sha256sum
const PLAN_ID = 'e6c3d363b3e94291792cca2b1cc75a17a99b9abccee4297ca1a527a9f18db19c'

let sandbox: CargoSandbox
beforeAll(() => {
  sandbox = cargoSandbox('sr-shipper-golden-')
})
afterAll(() => sandbox.cleanup())

/** A fresh copy of the layered workspace, with shipper's records in its state dir when asked. */
function workspace(name: string, withRecords: boolean): string {
  const ws = sandbox.copyFixture(workspaceFixture('layered'), name)
  if (withRecords) {
    mkdirSync(join(ws, '.shipper'))
    for (const file of ['rehearsal.json', 'events.jsonl'])
      cpSync(join(GOLDEN, file), join(ws, '.shipper', file))
  }
  return ws
}

function options(ws: string, bind: 'plan' | 'content') {
  return testOptions(join(ws, 'Cargo.toml'), { mode: 'publish', bind })
}

describe('records written by shipper', () => {
  it("are shipper's own: its strict reader takes every golden line, and so does ours", async () => {
    for (const file of ['events.jsonl', 'publish-events.jsonl']) {
      const path = join(GOLDEN, file)
      expect(expectShipperReadable(path).length).toBeGreaterThan(0)
      const ours = await readEvents(path)
      expect(ours.badLines).toEqual([])
      expect(ours.events).toHaveLength(readFileSync(path, 'utf8').trimEnd().split('\n').length)
    }
    expect(readFileSync(join(GOLDEN, 'rehearsal.json'), 'utf8').endsWith('}')).toBe(true)
    expect(await readRehearsal(GOLDEN)).toMatchObject({ kind: 'ok' })
  })

  it('pass this gate with bind: plan', async () => {
    const ws = workspace('plan', true)
    const report = await gateOnly(options(ws, 'plan'), testContext(sandbox.env))
    expect(report.plan.planId).toBe(PLAN_ID)
    expect(report.decision).toEqual({
      decision: 'proceed',
      bypassed: false,
      message:
        `rehearsal accepted: 3 packages rehearsed against 'kellnr' for plan_id ${PLAN_ID}, ` +
        'completed 2026-08-03T10:16:02.904117338Z'
    })
  })

  it('pass this gate with bind: plan when they arrive as the rehearsal artifact', async () => {
    const ws = workspace('artifact', false)
    const artifacts = new MemoryArtifacts()
    artifacts.put('shipper-rehearsal', GOLDEN, ['rehearsal.json', 'events.jsonl'], 4242)
    const report = await gateOnly(
      testOptions(join(ws, 'Cargo.toml'), { mode: 'publish', bind: 'plan', rehearsalRunId: 4242 }),
      testContext(sandbox.env),
      { artifacts }
    )
    expect(report.decision).toMatchObject({ decision: 'proceed', bypassed: false })
  })

  it('are refused with bind: content, which they cannot satisfy, pointing at bind: plan', async () => {
    const ws = workspace('content', true)
    const report = await gateOnly(options(ws, 'content'), testContext(sandbox.env))
    expect(report.decision).toMatchObject({
      decision: 'refuse',
      reason: 'stale_content',
      hint: expect.stringContaining('set bind: plan')
    })
  })
})
