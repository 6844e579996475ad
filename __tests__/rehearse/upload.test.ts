import { describe, expect, it } from '@jest/globals'
import type { CargoResult } from '../../src/cargo/run.js'
import type { CrateStatus } from '../../src/engine/status.js'
import { fakeClock } from '../../src/clock.js'
import type { PlannedCrate } from '../../src/plan/types.js'
import type { WaitResult } from '../../src/sparse/client.js'
import {
  indexState,
  uploadedByCargo,
  uploadPlan,
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
const plan = { packages }
const cksums = new Map(packages.map(p => [p.name, `sum-${p.name}`]))
const absent = new Map<string, IndexState>(packages.map(p => [p.name, { kind: 'absent' }]))

const ok: CargoResult = { exitCode: 0, stdout: '', stderr: '' }
const visible = (attempts = 1): WaitResult => ({ visible: true, attempts, durationMs: 0 })

/** Real milliseconds each fake upload takes, so the uploads of one level finish in a known order. */
const DELAY: Record<string, number> = { a: 1, b: 1, c: 8, d: 1, e: 1, f: 1 }

/**
 * Fake cargo and index. A batch is one cargo invocation: it uploads its crates one after another
 * (100 ms of virtual time each) and stops at the first failing one, as cargo does, reporting the
 * crates it did upload with cargo's `Uploaded NAME vVERSION` lines.
 */
function harness(overrides: Partial<UploadDeps> & { failing?: Record<string, CargoResult> } = {}) {
  const clock = fakeClock()
  const log: string[] = []
  const batchesSeen: string[][] = []
  let inFlight = 0
  let maxInFlight = 0
  const settled: CrateStatus[] = []
  const deps: UploadDeps = {
    clock,
    maxConcurrency: 2,
    readinessTimeoutMs: 5000,
    publish: async batch => {
      batchesSeen.push(batch.map(c => c.name))
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      let uploadedLines = ''
      try {
        for (const c of batch) {
          log.push(`start ${c.name}`)
          await new Promise(resolve => setTimeout(resolve, DELAY[c.name]))
          await clock.sleep(100)
          log.push(`end ${c.name}`)
          const failure = overrides.failing?.[c.name]
          if (failure) return { ...failure, stderr: uploadedLines + failure.stderr }
          uploadedLines += `    Uploaded ${c.name} v${c.version} to registry \`r\`\n`
        }
        return ok
      } finally {
        inFlight--
      }
    },
    waitVisible: async () => visible(),
    onSettled: o => void settled.push({ ...o }),
    ...overrides
  }
  return { deps, log, settled, clock, batches: batchesSeen, maxInFlight: () => maxInFlight }
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

describe('uploadPlan', () => {
  it('uploads a crate after its dependencies, never more than max-concurrency at once, and reports in plan order', async () => {
    const h = harness()
    const outcomes = await uploadPlan(plan, cksums, absent, h.deps)

    expect(outcomes.map(o => [o.name, o.status, o.cksum])).toEqual(
      packages.map(p => [p.name, 'published', `sum-${p.name}`])
    )
    for (const o of outcomes) expect(o.durationMs).toBeGreaterThanOrEqual(100)
    expect(h.maxInFlight()).toBe(2)
    expect(h.batches).toEqual([['a'], ['b', 'c'], ['d', 'e'], ['f']])
    const at = (line: string) => h.log.indexOf(line)
    expect(at('end a')).toBeLessThan(at('start b'))
    expect(at('end b')).toBeLessThan(at('start f'))
    expect(h.settled.map(o => o.status)).toEqual(Array(6).fill('published'))
  })

  it('starts a crate once its own dependency is visible while a slow crate of its level is still unproven', async () => {
    // c's index entry shows up only after f has started: waiting for the whole level would
    // never start f, and this test would time out.
    let fStarted: () => void = () => undefined
    const started = new Promise<void>(resolve => (fStarted = resolve))
    const h = harness({
      maxConcurrency: 4,
      onStart: batch => {
        if (batch.some(c => c.name === 'f')) fStarted()
      },
      waitVisible: async crate => {
        if (crate.name === 'c') await started
        h.log.push(`visible ${crate.name}`)
        return visible()
      }
    })
    const outcomes = await uploadPlan(plan, cksums, absent, h.deps)

    expect(outcomes.map(o => o.status)).toEqual(Array(6).fill('published'))
    expect(h.batches).toEqual([['a'], ['b'], ['c'], ['d'], ['e'], ['f']])
    expect(h.log.indexOf('start f')).toBeLessThan(h.log.indexOf('visible c'))
  })

  it('stops after a failure: cargo sends nothing after it, the other batch in flight settles, nothing new starts', async () => {
    // level 1 goes out as [b, c] and [d, e]; b fails, so cargo never sends c
    const failing = {
      b: {
        exitCode: 101,
        stdout: '',
        stderr:
          'error: failed to publish b v1.0.0 to registry at http://x\n\nCaused by:\n  the remote server responded with an error (status 400 Bad Request): missing or empty metadata fields: description'
      }
    }
    const h = harness({ failing })
    const outcomes = await uploadPlan(plan, cksums, absent, h.deps)

    expect(h.batches).toEqual([['a'], ['b', 'c'], ['d', 'e']])
    expect(outcomes.map(o => [o.name, o.status])).toEqual([
      ['a', 'published'],
      ['b', 'failed'],
      ['c', 'pending'],
      ['d', 'published'],
      ['e', 'published'],
      ['f', 'pending']
    ])
    expect(h.log).not.toContain('start c')
    expect(h.log).not.toContain('start f')
    expect(outcomes[1]?.failure).toEqual({
      class: 'permanent',
      message:
        'uploading b@1.0.0 failed: failed to publish b v1.0.0 to registry at http://x: the remote server responded with an error (status 400 Bad Request): missing or empty metadata fields: description',
      hint: expect.stringContaining('crates.io would refuse this upload too'),
      stderrTail: failing.b.stderr
    })
  })

  it('keeps a crate cargo reported as uploaded before a later one of its batch failed', async () => {
    const failing = {
      c: {
        exitCode: 101,
        stdout: '',
        stderr:
          'error: failed to publish c v1.0.0 to registry at http://x\n\nCaused by:\n  the remote server responded with an error (status 503 Service Unavailable): busy'
      }
    }
    const h = harness({ failing })
    const outcomes = await uploadPlan(plan, cksums, absent, h.deps)
    expect(outcomes.map(o => [o.name, o.status])).toEqual([
      ['a', 'published'],
      ['b', 'published'],
      ['c', 'failed'],
      ['d', 'published'],
      ['e', 'published'],
      ['f', 'pending']
    ])
    expect(outcomes[2]?.failure?.class).toBe('retryable')
  })

  it('skips versions already there with the same bytes, uploading only the rest', async () => {
    const h = harness()
    const states = new Map(absent)
    states.set('a', { kind: 'same' })
    states.set('c', { kind: 'same' })
    const outcomes = await uploadPlan(plan, cksums, states, h.deps)

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
    expect(h.batches).toEqual([['b', 'd'], ['e'], ['f']])
  })

  it('refuses a registry holding a planned version with other bytes before uploading anything', async () => {
    const h = harness()
    const states = new Map(absent)
    states.set('d', { kind: 'different', cksum: 'other' })
    const outcomes = await uploadPlan(plan, cksums, states, h.deps)

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
    const outcomes = await uploadPlan(plan, cksums, absent, h.deps)

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
    const outcomes = await uploadPlan(
      { packages: [packages[0] as PlannedCrate] },
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
    await uploadPlan(plan, cksums, absent, h.deps)
    expect(asked.sort()).toEqual(packages.map(p => `${p.name}:sum-${p.name}`))
  })
})

describe('uploadedByCargo', () => {
  it("reads cargo's `Uploaded` lines, not its `Uploading` ones", () => {
    const stderr = [
      '   Uploading x v0.1.0 (/ws/x)',
      '    Uploaded x v0.1.0 to registry `r`',
      '   Uploading y v0.1.0 (/ws/y)',
      'error: failed to publish y v0.1.0 to registry at http://127.0.0.1:1'
    ].join('\n')
    expect([...uploadedByCargo(stderr)]).toEqual(['x'])
  })
})
