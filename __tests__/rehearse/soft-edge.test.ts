import { systemClock } from '../../src/clock.js'
import { testContext } from '../helpers/context.js'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { join } from 'node:path'
import { rehearse } from '../../src/rehearse/index.js'
import { workspaceFixture } from '../plan/fixtures.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'
import { readEventLines, readReceipt, rehearseOptions } from './helpers.js'

// printf 'https://crates.io\na@0.1.0\nb@0.1.0\n' | sha256sum
const SHIPPER_PLAN_ID = 'fc02c8f9f62d63326bee6b3ca9c3806c3cf14dc2eb4c96cf2842004156b3c50c'

let sandbox: CargoSandbox
let ws: string

beforeAll(() => {
  sandbox = cargoSandbox('sr-rehearse-soft-')
  ws = sandbox.copyFixture(workspaceFixture('soft-edge'), 'soft-edge')
})

afterAll(() => sandbox.cleanup())

describe('rehearse (a dev-depends on b with a version)', () => {
  it("records shipper's plan_id while uploading b before a, and keeps its own order beside it", async () => {
    const result = await rehearse(
      rehearseOptions(join(ws, 'Cargo.toml')),
      testContext(sandbox.env, systemClock)
    )
    expect(result.failure).toBeUndefined()
    expect(result.outcome).toBe('passed')
    expect(result.plan?.planId).toBe(SHIPPER_PLAN_ID)
    expect(result.plan?.shipperOrder).toEqual(['a', 'b'])

    const stateDir = join(ws, '.shipper')
    const receipt = readReceipt(stateDir)
    expect(receipt.plan_id).toBe(SHIPPER_PLAN_ID)
    expect(receipt.publish_order).toEqual(['b@0.1.0', 'a@0.1.0'])

    const events = readEventLines(join(stateDir, 'events.jsonl'))
    const uploaded = events.flatMap(e =>
      e.event_type.type === 'rehearsal_package_published' ? [e.event_type.name] : []
    )
    expect(uploaded).toEqual(['b', 'a'])
    expect(events.find(e => e.event_type.type === 'rehearsal_complete')?.event_type).toMatchObject({
      passed: true,
      plan_id: SHIPPER_PLAN_ID
    })
  })
})
