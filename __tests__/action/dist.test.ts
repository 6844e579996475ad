import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { startRegistry } from '../../src/registry/index.js'
import type { EmbeddedRegistry } from '../../src/registry/types.js'
import { demoForLiveRegistry, runAction } from '../helpers/action.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'

/**
 * The committed bundle, run the way the Actions runner runs it: `node dist/index.js` with inputs
 * as INPUT_* variables and the output and summary files the runner provides.
 */
const DEMO = resolve('examples/demo')

describe('dist/index.js run as the runner runs it', () => {
  let sandbox: CargoSandbox
  let live: EmbeddedRegistry
  let workspace: string
  // A local stand-in for the live registry: the release preview and plan_id read it, so nothing
  // here reaches crates.io.
  let liveInputs: Record<string, string>

  beforeAll(async () => {
    sandbox = cargoSandbox('sr-dist-')
    live = await startRegistry({ strict: true })
    workspace = demoForLiveRegistry(sandbox)
    liveInputs = { 'target-registry': 'live', 'target-registry-url': live.url }
  })
  afterAll(async () => {
    await live.close()
    sandbox.cleanup()
  })

  it('rehearses the demo workspace: outputs, summary, receipt and smoke install', async () => {
    const run = await runAction(sandbox, workspace, {
      ...liveInputs,
      'smoke-install': 'demo-cli',
      cache: 'false'
    })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.outputs.outcome).toBe('passed')
    expect(run.outputs.passed).toBe('true')
    expect(run.outputs['plan-id']).toMatch(/^[0-9a-f]{64}$/)
    expect(run.outputs['content-digest']).toMatch(/^[0-9a-f]{64}$/)
    const packages = JSON.parse(run.outputs.packages ?? '[]') as { name: string; status: string }[]
    expect(packages.map(p => [p.name, p.status])).toEqual([
      ['demo-core', 'published'],
      ['demo-text', 'published'],
      ['demo-cli', 'published']
    ])
    const receiptPath = run.outputs['receipt-path'] ?? ''
    expect(receiptPath).toBe(join(workspace, '.shipper', 'rehearsal.json'))
    const receipt = JSON.parse(readFileSync(receiptPath, 'utf8')) as Record<string, unknown>
    expect(Object.keys(receipt).slice(0, 9)).toEqual([
      'schema_version',
      'plan_id',
      'registry',
      'passed',
      'packages_attempted',
      'packages_published',
      'summary',
      'started_at',
      'completed_at'
    ])
    expect(receipt.plan_id).toBe(run.outputs['plan-id'])
    expect(receipt.passed).toBe(true)
    expect(existsSync(run.outputs['events-path'] ?? '')).toBe(true)
    expect(run.summary).toContain(run.outputs['plan-id'])
    expect(run.summary).toMatch(/demo-cli/)
    // No artifact service outside Actions: one warning, no artifact id.
    expect(run.outputs['artifact-id']).toBe('')
    expect(run.stdout).toMatch(/artifact service is not available/)
    // cargo's output is in the log, each command folded into a section of its own.
    expect(run.stdout).toMatch(/^::group::cargo package -p /m)
    expect(run.stdout).toMatch(/^\s*Packaging demo-cli v/m)
    const opened = run.stdout.split('\n').filter(l => l.startsWith('::group::')).length
    expect(run.stdout.split('\n').filter(l => l === '::endgroup::')).toHaveLength(opened)
    expect(run.summary).toMatch(/### Smoke checks[\s\S]*`cargo install demo-cli@/)
  })

  it('refuses to publish without a rehearsal of this plan, uploading nothing (exit 1)', async () => {
    const ws = sandbox.copyFixture(DEMO, 'demo-unrehearsed')
    const run = await runAction(sandbox, ws, {
      ...liveInputs,
      mode: 'publish',
      token: 'live-token-do-not-print',
      cache: 'false'
    })
    expect(run.code).toBe(1)
    expect(run.outputs.outcome).toBe('refused')
    expect(run.stdout).toMatch(/::error[^:]*::.*no rehearsal receipt/)
    // The runner hides a masked value everywhere; only the mask command itself may carry it.
    const printed = run.stdout
      .split('\n')
      .filter(l => !l.startsWith('::add-mask::'))
      .join('\n')
    expect(run.stdout).toContain('::add-mask::live-token-do-not-print')
    expect(printed).not.toContain('live-token-do-not-print')
    expect(live.faults.uploads()).toEqual({})
  })

  it('rejects an invalid input with one line and exit code 2', async () => {
    const run = await runAction(sandbox, workspace, { 'max-concurrency': 'lots' })
    expect(run.code).toBe(2)
    const errors = run.stdout.split('\n').filter(l => l.startsWith('::error::'))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/`max-concurrency`.*'lots'.*hint/)
    expect(run.stdout).not.toMatch(/\n\s+at /)
  })
})
