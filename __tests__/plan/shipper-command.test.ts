import { systemClock } from '../../src/clock.js'
import { testContext } from '../helpers/context.js'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { planCommand } from '../../src/cli/plan.js'
import { parseOptions } from '../../src/options/parse.js'
import { computePlanId } from '../../src/plan/plan-id.js'
import { startRegistry } from '../../src/registry/index.js'
import type { EmbeddedRegistry } from '../../src/registry/types.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'
import { workspaceFixture } from './fixtures.js'

let sandbox: CargoSandbox
let live: EmbeddedRegistry

beforeAll(async () => {
  sandbox = cargoSandbox('sr-plan-shipper-')
  live = await startRegistry()
})
afterAll(async () => {
  await live.close()
  sandbox.cleanup()
})

async function planOutput(ws: string, raw: Record<string, string>, format = 'text') {
  const options = await parseOptions(
    { 'manifest-path': join(ws, 'Cargo.toml'), ...raw },
    { cwd: ws, env: {} }
  )
  const out: string[] = []
  const code = await planCommand(options, format, testContext(sandbox.env, systemClock), {
    out: line => void out.push(line),
    err: () => undefined
  })
  expect(code).toBe(0)
  return out.join('\n')
}

describe('plan, where .shipper.toml names the live registry', () => {
  it('prints the shipper command that computes the same plan_id', async () => {
    const ws = sandbox.copyFixture(workspaceFixture('soft-edge'), 'configured')
    writeFileSync(
      join(ws, '.shipper.toml'),
      `[registry]\nname = "corp"\napi_base = "${live.url}/"\n`
    )
    const api = live.url.replace(/\/+$/, '')
    const text = await planOutput(ws, {})
    // The port is ephemeral, so the id is computed here: shipper's rule over its --api-base value.
    const id = computePlanId(api, [
      { name: 'a', version: '0.1.0' },
      { name: 'b', version: '0.1.0' }
    ])
    expect(text).toContain(`plan_id: ${id}`)
    expect(text).toContain(
      `  same plan_id with shipper: shipper plan --registry corp --api-base ${api}`
    )
    expect(text).not.toMatch(/--api-base \S+\/(\s|$)/)

    const json = JSON.parse(await planOutput(ws, { packages: 'a' }, 'json')) as Record<
      string,
      unknown
    >
    expect(json).toMatchObject({
      plan_id: id,
      plan_id_order: ['a', 'b'],
      dev_only_selection: [{ name: 'b', dependents: ['a'] }],
      shipper_command: `shipper plan --registry corp --api-base ${api} --package a --package b`
    })
  })
})
