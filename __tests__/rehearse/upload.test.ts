import { describe, expect, it } from '@jest/globals'
import type { CargoResult } from '../../src/cargo/run.js'
import { fakeClock } from '../../src/clock.js'
import type { PlannedCrate } from '../../src/plan/types.js'
import type { WaitResult } from '../../src/sparse/client.js'
import {
  indexState,
  uploadLevels,
  type CrateOutcome,
  type IndexState,
  type UploadDeps
} from '../../src/rehearse/upload.js'

function crate(name: string, level: number, dependencies: string[] = []): PlannedCrate {
  return {
    name,
    version: '1.0.0',
    level,
    manifestPath: `/ws/${name}/Cargo.toml`,
    dependencies,
    bins: [],
    hasLib: true
  }
}

// a; b c d e (all on a); f (on b)
const packages = [
  crate('a', 0),
  crate('b', 1, ['a']),
  crate('c', 1, ['a']),
  crate('d', 1, ['a']),
  crate('e', 1, ['a']),
  crate('f', 2, ['b'])
]
const plan = { packages, levels: [['a'], ['b', 'c', 'd', 'e'], ['f']] }
const cksums = new Map(packages.map(p => [p.name, `sum-${p.name}`]))
const absent = new Map<string, IndexState>(packages.map(p => [p.name, { kind: 'absent' }]))

const ok: CargoResult = { exitCode: 0, stdout: '', stderr: '' }
const visible = (attempts = 1): WaitResult => ({ visible: true, attempts, durationMs: 0 })

/** Real milliseconds each fake upload takes, so the uploads of one level finish in a known order. */
const DELAY: Record<string, number> = { a: 1, b: 1, c: 8, d: 1, e: 1, f: 1 }

/** Fake cargo and index: uploads also take 100 ms of virtual time and are logged as they happen. */
function harness(overrides: Partial<UploadDeps> & { failing?: Record<string, CargoResult> } = {}) {
  const clock = fakeClock()
  const log: string[] = []
  let inFlight = 0
  let maxInFlight = 0
  const settled: CrateOutcome[] = []
  const deps: UploadDeps = {
    clock,
    maxConcurrency: 2,
    readinessTimeoutMs: 5000,
    publish: async c => {
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      log.push(`start ${c.name}`)
      await new Promise(resolve => setTimeout(resolve, DELAY[c.name]))
      await clock.sleep(100)
      inFlight--
      log.push(`end ${c.name}`)
      return overrides.failing?.[c.name] ?? ok
    },
    waitVisible: async () => visible(),
    onSettled: o => void settled.push({ ...o }),
    ...overrides
  }
  return { deps, log, settled, clock, maxInFlight: () => maxInFlight }
}

describe('indexState', () => {
  const entry = (vers: string, cksum: string) => ({
    name: 'a',
    vers,
    cksum,
    deps: [],
    features: {},
    yanked: false
  })

  it('tells absent, same bytes and different bytes apart', () => {
    expect(indexState(null, '1.0.0', 'x')).toEqual({ kind: 'absent' })
    expect(indexState([entry('0.9.0', 'x')], '1.0.0', 'x')).toEqual({ kind: 'absent' })
    expect(indexState([entry('1.0.0', 'x')], '1.0.0', 'x')).toEqual({ kind: 'same' })
    expect(indexState([entry('1.0.0', 'y')], '1.0.0', 'x')).toEqual({
      kind: 'different',
      cksum: 'y'
    })
  })
})

describe('uploadLevels', () => {
  it('uploads level by level, never more than max-concurrency at once, and reports in plan order', async () => {
    const h = harness()
    const outcomes = await uploadLevels(plan, cksums, absent, h.deps)

    expect(outcomes.map(o => [o.name, o.status, o.cksum])).toEqual(
      packages.map(p => [p.name, 'published', `sum-${p.name}`])
    )
    for (const o of outcomes) expect(o.durationMs).toBeGreaterThanOrEqual(100)
    expect(h.maxInFlight()).toBe(2)
    const at = (line: string) => h.log.indexOf(line)
    expect(at('end a')).toBeLessThan(at('start b'))
    for (const name of ['b', 'c', 'd', 'e']) expect(at(`end ${name}`)).toBeLessThan(at('start f'))
    expect(h.settled.map(o => o.status)).toEqual(Array(6).fill('published'))
  })

  it('stops after a failure once the uploads already in flight in that level settle', async () => {
    // b fails while c (slower) is still uploading: c completes, d and e are never started
    const failing = {
      b: {
        exitCode: 101,
        stdout: '',
        stderr:
          'error: failed to publish b v1.0.0 to registry at http://x\n\nCaused by:\n  the remote server responded with an error (status 400 Bad Request): missing or empty metadata fields: description'
      }
    }
    const h = harness({ failing })
    const outcomes = await uploadLevels(plan, cksums, absent, h.deps)

    expect(outcomes.map(o => [o.name, o.status])).toEqual([
      ['a', 'published'],
      ['b', 'failed'],
      ['c', 'published'],
      ['d', 'pending'],
      ['e', 'pending'],
      ['f', 'pending']
    ])
    expect(h.log).not.toContain('start d')
    expect(outcomes[1]?.failure).toEqual({
      class: 'permanent',
      message:
        'uploading b@1.0.0 failed: failed to publish b v1.0.0 to registry at http://x: the remote server responded with an error (status 400 Bad Request): missing or empty metadata fields: description',
      hint: expect.stringContaining('crates.io would refuse this upload too'),
      stderrTail: failing.b.stderr
    })
  })

  it('skips versions already there with the same bytes, uploading only the rest', async () => {
    const h = harness()
    const states = new Map(absent)
    states.set('a', { kind: 'same' })
    states.set('c', { kind: 'same' })
    const outcomes = await uploadLevels(plan, cksums, states, h.deps)

    expect(outcomes.map(o => o.status)).toEqual([
      'skipped',
      'published',
      'skipped',
      'published',
      'published',
      'published'
    ])
    expect(outcomes[0]).toMatchObject({
      cksum: 'sum-a',
      durationMs: 0,
      reason: 'already in the rehearsal registry with the same contents'
    })
    expect(h.log.filter(l => l.startsWith('start'))).toEqual([
      'start b',
      'start d',
      'start e',
      'start f'
    ])
  })

  it('refuses a registry holding a planned version with other bytes before uploading anything', async () => {
    const h = harness()
    const states = new Map(absent)
    states.set('d', { kind: 'different', cksum: 'other' })
    const outcomes = await uploadLevels(plan, cksums, states, h.deps)

    expect(h.log).toEqual([])
    expect(outcomes.map(o => o.status)).toEqual([
      'pending',
      'pending',
      'pending',
      'failed',
      'pending',
      'pending'
    ])
    expect(outcomes[3]?.failure).toMatchObject({
      class: 'permanent',
      message:
        'the rehearsal registry already holds d@1.0.0 with different contents; use a fresh registry'
    })
    expect(h.settled.map(o => o.name)).toEqual(['d'])
  })

  it('does not trust cargo’s exit code: a version missing from the index after the timeout fails', async () => {
    const h = harness({
      waitVisible: async c =>
        c.name === 'a' ? { visible: false, attempts: 7, durationMs: 5000 } : visible()
    })
    const outcomes = await uploadLevels(plan, cksums, absent, h.deps)

    expect(outcomes.map(o => o.status)).toEqual([
      'failed',
      'pending',
      'pending',
      'pending',
      'pending',
      'pending'
    ])
    expect(outcomes[0]?.failure).toMatchObject({
      class: 'ambiguous',
      message:
        "a@1.0.0 was uploaded but did not appear in the rehearsal registry's index within 5s (7 polls)"
    })
  })

  it('fails when the index lists the version with a checksum other than the packaged one', async () => {
    const h = harness({
      waitVisible: async () => ({
        visible: false,
        attempts: 1,
        durationMs: 0,
        cksumMismatch: true,
        entry: {
          name: 'a',
          vers: '1.0.0',
          cksum: 'tampered',
          deps: [],
          features: {},
          yanked: false
        }
      })
    })
    const outcomes = await uploadLevels(
      { packages: [packages[0] as PlannedCrate], levels: [['a']] },
      cksums,
      absent,
      h.deps
    )
    expect(outcomes[0]).toMatchObject({
      status: 'failed',
      cksum: 'tampered',
      failure: {
        class: 'permanent',
        message:
          'the rehearsal registry lists a@1.0.0 with checksum tampered, not the packaged sum-a'
      }
    })
  })

  it('asks the index for the exact packaged checksum', async () => {
    const asked: string[] = []
    const h = harness({
      waitVisible: async (c, cksum) => {
        asked.push(`${c.name}:${cksum}`)
        return visible()
      }
    })
    await uploadLevels(plan, cksums, absent, h.deps)
    expect(asked.sort()).toEqual(packages.map(p => `${p.name}:sum-${p.name}`))
  })
})
