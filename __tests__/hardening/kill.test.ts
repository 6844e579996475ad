import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startRegistry } from '../../src/registry/index.js'
import type { EmbeddedRegistry } from '../../src/registry/types.js'
import {
  baseEnv,
  DIST_CLI,
  startNode,
  stackLines,
  type ProcessRun,
  type RunningProcess
} from '../helpers/action.js'
import { RehearsedFixture } from '../publish/helpers.js'
import {
  descendants,
  expectIntactEvents,
  expectUploadedOnce,
  killGroup,
  NO_CARGO_INDEX_WAIT,
  typesOf,
  waitUntil
} from './helpers.js'

/**
 * Faults that need a process to die: the command line (`node dist/cli.js`) runs as a subprocess
 * against registries this test owns, and is killed, or loses its cargo child or its registry, at
 * a predictable point mid-plan: max-concurrency 1 and a delayed index entry for shr-util keep it
 * busy after shr-core went out. Then it runs again, and must finish with every version stored
 * exactly once and an events.jsonl without a torn line.
 */
let fixture: RehearsedFixture
const started: RunningProcess[] = []

beforeAll(async () => {
  fixture = await RehearsedFixture.create('sr-hard-kill-')
}, 120_000)

afterEach(async () => {
  // Nothing may outlive a test, whatever it asserted.
  for (const p of started.splice(0)) {
    killGroup(p.pid)
    await p.done.catch(() => undefined)
  }
})

afterAll(async () => {
  await fixture?.close()
})

const live = () => fixture.live

function cli(ws: string, args: string[], extraEnv: Record<string, string> = {}): RunningProcess {
  const p = startNode(DIST_CLI, args, {
    cwd: ws,
    env: baseEnv(fixture.sandbox, { ...fixture.env(), ...extraEnv }),
    detached: true
  })
  started.push(p)
  return p
}

/** Secrets reach the command line in files, never as flags. */
function secretFile(value: string): string {
  const path = join(fixture.sandbox.root, `secret-${++secrets}`)
  writeFileSync(path, `${value}\n`)
  return path
}
let secrets = 0

function publishArgs(...extra: string[]): string[] {
  return [
    'publish',
    '--target-registry',
    'live',
    '--target-registry-url',
    live().url,
    '--token-file',
    secretFile(live().token),
    '--max-concurrency',
    '1',
    ...extra
  ]
}

function rehearseArgs(registry: EmbeddedRegistry, ...extra: string[]): string[] {
  return [
    'rehearse',
    '--target-registry',
    'live',
    '--target-registry-url',
    live().url,
    '--registry-url',
    registry.url,
    '--registry-token-file',
    secretFile(registry.token),
    '--max-concurrency',
    '1',
    ...extra
  ]
}

const stored = (registry: EmbeddedRegistry, name: string) =>
  (registry.faults.uploads()[`${name}@0.1.0`] ?? 0) > 0

/** A run that ended on its own, with no stack trace printed. */
function expectExit(run: ProcessRun, code: number): void {
  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code })
  expect(stackLines(run.stdout + run.stderr)).toEqual([])
}

function eventsOf(ws: string) {
  return expectIntactEvents(join(ws, '.shipper', 'events.jsonl'))
}

describe('publish mode', () => {
  afterEach(async () => {
    await fixture.freshLive()
  })

  it('the process SIGKILLed between two crates: the rerun finishes without uploading anything twice', async () => {
    const ws = fixture.workspace()
    live().faults.delayIndex('shr-util', '0.1.0', 5000)
    const first = cli(ws, publishArgs('--readiness-timeout', '60s'), NO_CARGO_INDEX_WAIT)
    await waitUntil('shr-core visible and shr-util stored', () =>
      ['shr-core', 'shr-util'].every(n => stored(live(), n))
    )
    killGroup(first.pid)
    const killed = await first.done
    expect(killed.signal).toBe('SIGKILL')
    expect(existsSync(join(ws, '.shipper', 'publish-record.json'))).toBe(false)
    const before = typesOf(eventsOf(ws))
    expect(before).toContain('execution_started')
    expect(before).not.toContain('execution_finished')

    // shr-util is still missing from the index when the rerun starts.
    const second = await cli(ws, publishArgs('--readiness-timeout', '60s')).done
    expectExit(second, 0)
    expect(second.stdout).toContain('outcome: published')
    expect(second.stdout).toMatch(/^shr-util@0\.1\.0: already published.*, skipped$/m)
    expect(second.stdout).toMatch(/uploaded by this run: shr-app@0\.1\.0$/m)
    expectUploadedOnce([live().faults.uploads()])
    const types = typesOf(eventsOf(ws))
    expect(types.filter(t => t === 'execution_finished')).toHaveLength(1)
    const receipt = JSON.parse(
      readFileSync(join(ws, '.shipper', 'publish-record.json'), 'utf8')
    ) as {
      result: string
    }
    expect(receipt.result).toBe('success')
  })

  it('cargo killed mid-upload (stored, cargo still waiting for the index): reconciled, not uploaded again', async () => {
    const ws = fixture.workspace()
    live().faults.delayIndex('shr-util', '0.1.0', 4000)
    const run = cli(ws, publishArgs('--readiness-timeout', '30s'))
    await waitUntil('shr-util stored', () => stored(live(), 'shr-util'))
    const cargo = descendants(run.pid).filter(p => p.comm === 'cargo')
    expect(cargo.length).toBeGreaterThan(0)
    for (const p of cargo) process.kill(p.pid, 'SIGKILL')
    const done = await run.done
    expectExit(done, 0)
    expect(done.stdout).toContain('outcome: published')
    expectUploadedOnce([live().faults.uploads()])
    const util = eventsOf(ws).filter(e => e.package === 'shr-util@0.1.0')
    expect(typesOf(util)).toEqual(
      expect.arrayContaining(['package_attempted', 'publish_reconciled', 'package_published'])
    )
  })

  it('the registry dying mid-plan: a clean failure, then a rerun against it restarted finishes', async () => {
    const dataDir = mkdtempSync(join(fixture.sandbox.root, 'live-data-'))
    const token = 'live-token-kept-across-restarts'
    await fixture.freshLive({ dataDir, token })
    const ws = fixture.workspace()
    live().faults.delayIndex('shr-util', '0.1.0', 600_000)
    const run = cli(ws, publishArgs('--readiness-timeout', '5s'), NO_CARGO_INDEX_WAIT)
    await waitUntil('shr-util stored', () => stored(live(), 'shr-util'))
    const beforeDeath = live().faults.uploads()
    await live().close()
    const failed = await run.done
    expectExit(failed, 1)
    expect(failed.stdout).toMatch(/^failed at shr-util@0\.1\.0: /m)
    expect(failed.stdout).toMatch(/^hint: .*rerun/m)
    expect(eventsOf(ws).at(-1)?.event_type).toEqual({
      type: 'execution_finished',
      result: 'partial_failure'
    })

    await fixture.freshLive({ dataDir, token })
    const second = await cli(ws, publishArgs()).done
    expectExit(second, 0)
    expect(second.stdout).toMatch(/uploaded by this run: shr-app@0\.1\.0$/m)
    expectUploadedOnce([beforeDeath, live().faults.uploads()])
    eventsOf(ws)
    rmSync(dataDir, { recursive: true, force: true })
  })
})

describe('rehearse mode', () => {
  let registry: EmbeddedRegistry
  let dataDir: string
  const token = 'rehearsal-token-kept-across-restarts'

  afterEach(async () => {
    await registry.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  /** On `dataDir`, so a restart on the same port serves what was stored before. */
  async function freshRehearsalRegistry(port = 0): Promise<void> {
    registry = await startRegistry({ port, dataDir, token })
  }

  function workspace(): string {
    const ws = fixture.workspace()
    rmSync(join(ws, '.shipper'), { recursive: true, force: true })
    return ws
  }

  it('the process SIGKILLed between two crates: no receipt is left, and the rerun passes', async () => {
    dataDir = mkdtempSync(join(fixture.sandbox.root, 'rehearsal-data-'))
    await freshRehearsalRegistry()
    const ws = workspace()
    registry.faults.delayIndex('shr-util', '0.1.0', 60_000)
    const first = cli(ws, rehearseArgs(registry, '--readiness-timeout', '60s'), NO_CARGO_INDEX_WAIT)
    await waitUntil('shr-core visible and shr-util stored', () =>
      ['shr-core', 'shr-util'].every(n => stored(registry, n))
    )
    killGroup(first.pid)
    expect((await first.done).signal).toBe('SIGKILL')
    expect(existsSync(join(ws, '.shipper', 'rehearsal.json'))).toBe(false)
    expect(typesOf(eventsOf(ws))).not.toContain('rehearsal_complete')

    registry.faults.clear()
    const second = await cli(ws, rehearseArgs(registry)).done
    expectExit(second, 0)
    expect(second.stdout).toContain('outcome: passed')
    expectUploadedOnce([registry.faults.uploads()])
    expect(typesOf(eventsOf(ws)).filter(t => t === 'rehearsal_complete')).toHaveLength(1)
  })

  it('cargo killed after its uploads: the index, not cargo, decides, and nothing goes out twice', async () => {
    dataDir = mkdtempSync(join(fixture.sandbox.root, 'rehearsal-data-'))
    await freshRehearsalRegistry()
    const ws = workspace()
    // Both crates of level 0 go out in one cargo invocation, which then waits for the index.
    registry.faults.delayIndex('shr-core', '0.1.0', 4000)
    registry.faults.delayIndex('shr-util', '0.1.0', 4000)
    const run = cli(ws, rehearseArgs(registry, '--readiness-timeout', '30s'))
    await waitUntil('shr-core and shr-util stored', () =>
      ['shr-core', 'shr-util'].every(n => stored(registry, n))
    )
    const cargo = descendants(run.pid).filter(p => p.comm === 'cargo')
    expect(cargo.length).toBeGreaterThan(0)
    for (const p of cargo) process.kill(p.pid, 'SIGKILL')
    const done = await run.done
    expectExit(done, 0)
    expect(done.stdout).toContain('outcome: passed')
    expectUploadedOnce([registry.faults.uploads()])

    registry.faults.clear()
    const second = await cli(ws, rehearseArgs(registry)).done
    expectExit(second, 0)
    expectUploadedOnce([registry.faults.uploads()])
    eventsOf(ws)
  })

  it('the registry dying mid-plan: a clean failure, then a rerun against it restarted passes', async () => {
    dataDir = mkdtempSync(join(fixture.sandbox.root, 'rehearsal-data-'))
    await freshRehearsalRegistry()
    const ws = workspace()
    registry.faults.delayIndex('shr-util', '0.1.0', 600_000)
    const run = cli(ws, rehearseArgs(registry, '--readiness-timeout', '3s'), NO_CARGO_INDEX_WAIT)
    // shr-core and shr-util go up in one cargo run; the registry dies once shr-core is proven visible
    // and shr-util is stored but not yet in the index, so the failure is shr-util's.
    await waitUntil(
      'shr-util stored and shr-core proven',
      () =>
        stored(registry, 'shr-util') &&
        run.output().stdout.includes("shr-core@0.1.0 is in the rehearsal registry's index")
    )
    const beforeDeath = registry.faults.uploads()
    await registry.close()
    const failed = await run.done
    expectExit(failed, 1)
    expect(failed.stdout).toMatch(/^failed at shr-util@0\.1\.0: /m)
    expect(JSON.parse(readFileSync(join(ws, '.shipper', 'rehearsal.json'), 'utf8'))).toMatchObject({
      passed: false
    })

    await freshRehearsalRegistry(registry.port)
    const second = await cli(ws, rehearseArgs(registry)).done
    expectExit(second, 0)
    expectUploadedOnce([beforeDeath, registry.faults.uploads()])
    eventsOf(ws)
  })
})
