import { describe, expect, it } from '@jest/globals'
import type { CargoResult } from '../../src/cargo/run.js'
import type { CrateStatus } from '../../src/engine/status.js'
import { fakeClock } from '../../src/clock.js'
import type { PlannedCrate } from '../../src/plan/types.js'
import type { WaitResult } from '../../src/sparse/client.js'
import {
  indexState,
  cargoOrderable,
  uploadLine,
  uploadPlan,
  type IndexState,
  type CargoWatch,
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
/** A real macrotask, so a proof started on an `Uploaded` line can settle before cargo goes on. */
const tick = () => new Promise(resolve => setTimeout(resolve, 1))

interface FakeCargo {
  /** What cargo prints instead of uploading this crate (it stops there, as cargo does). */
  failing?: Record<string, CargoResult>
  /** cargo prints nothing we read (an older or newer wording), exit code 0. */
  silent?: boolean
}

/**
 * Fake cargo and index. One invocation uploads the crates it is given in their order (a plan is
 * in dependency order), printing cargo's `Uploading`/`Uploaded` lines, 100 ms of virtual time per
 * upload; it stops at the first failing crate, or when aborted.
 */
function harness(overrides: Partial<UploadDeps> & FakeCargo = {}) {
  const clock = fakeClock()
  const log: string[] = []
  const invocations: string[][] = []
  const settled: CrateStatus[] = []
  const deps: UploadDeps = {
    clock,
    readinessTimeoutMs: 5000,
    publish: async (crates, watch) => {
      invocations.push(crates.map(c => c.name))
      let printed = ''
      const print = (line: string) => {
        printed += `${line}\n`
        if (!overrides.silent) watch.onLine(line)
      }
      for (const c of crates) {
        await tick()
        if (watch.signal.aborted) {
          log.push('cargo stopped')
          return { exitCode: 143, stdout: '', stderr: printed }
        }
        print(`   Uploading ${c.name} v${c.version} (/ws/${c.name})`)
        log.push(`start ${c.name}`)
        await clock.sleep(100)
        const failure = overrides.failing?.[c.name]
        if (failure) {
          log.push(`cargo failed on ${c.name}`)
          return { ...failure, stderr: printed + failure.stderr }
        }
        print(`    Uploaded ${c.name} v${c.version} to registry \`r\``)
      }
      log.push('cargo done')
      return ok
    },
    waitVisible: async crate => {
      log.push(`visible ${crate.name}`)
      return visible()
    },
    onSettled: o => void settled.push({ ...o }),
    ...overrides
  }
  return { deps, log, settled, clock, invocations }
}

/** cargo's two lines for one crate it uploaded. */
function announceUpload(watch: CargoWatch, c: PlannedCrate): void {
  watch.onLine(`   Uploading ${c.name} v${c.version} (/ws/${c.name})`)
  watch.onLine(`    Uploaded ${c.name} v${c.version} to registry \`r\``)
}

/** cargo ending because its own index wait (publish.timeout) ran out before `what` could go. */
const cargoGaveUpWaiting = (what: string): CargoResult => ({
  exitCode: 101,
  stdout: '',
  stderr: `error: unable to publish ${what} due to a timeout while waiting for published dependencies to be available.`
})

/** Each crate's status in plan order, one word each. */
const statuses = (outcomes: CrateStatus[]) => outcomes.map(o => o.status).join(' ')
const ALL_PUBLISHED = Array(6).fill('published').join(' ')

const publishFailure = (name: string, status: string) => ({
  exitCode: 101,
  stdout: '',
  stderr: `error: failed to publish ${name} v1.0.0 to registry at http://x\n\nCaused by:\n  the remote server responded with an error (status ${status})`
})

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
  it('uploads the whole plan through one cargo invocation, proving each crate as soon as cargo reports it uploaded', async () => {
    const h = harness()
    const outcomes = await uploadPlan(plan, cksums, absent, h.deps)

    expect(h.invocations).toEqual([packages.map(p => p.name)])
    expect(outcomes.map(o => [o.name, o.status, o.cksum])).toEqual(
      packages.map(p => [p.name, 'published', `sum-${p.name}`])
    )
    // each crate's time runs from its own `Uploading` line, not from cargo's start
    for (const o of outcomes) expect(o.durationMs).toBe(100)
    // a's proof ran while cargo was still uploading the others
    expect(h.log.indexOf('visible a')).toBeLessThan(h.log.indexOf('start b'))
    expect(h.log.indexOf('visible a')).toBeLessThan(h.log.indexOf('cargo done'))
    expect(h.settled.map(o => o.name)).toEqual(packages.map(p => p.name))
  })

  it('tells who is being uploaded as cargo starts each crate', async () => {
    const started: string[] = []
    const h = harness({ onStart: c => void started.push(c.name) })
    await uploadPlan(plan, cksums, absent, h.deps)
    expect(started).toEqual(packages.map(p => p.name))
  })

  it('a failed upload is the crate cargo was uploading; those before it are kept, the rest stay pending', async () => {
    const failing = {
      c: {
        exitCode: 101,
        stdout: '',
        stderr:
          'error: failed to publish c v1.0.0 to registry at http://x\n\nCaused by:\n  the remote server responded with an error (status 400 Bad Request): missing or empty metadata fields: description'
      }
    }
    const h = harness({ failing })
    const outcomes = await uploadPlan(plan, cksums, absent, h.deps)

    expect(outcomes.map(o => [o.name, o.status])).toEqual([
      ['a', 'published'],
      ['b', 'published'],
      ['c', 'failed'],
      ['d', 'pending'],
      ['e', 'pending'],
      ['f', 'pending']
    ])
    expect(outcomes[2]?.failure).toEqual({
      class: 'permanent',
      message:
        'uploading c@1.0.0 failed: failed to publish c v1.0.0 to registry at http://x: the remote server responded with an error (status 400 Bad Request): missing or empty metadata fields: description',
      hint: expect.stringContaining('crates.io would refuse this upload too'),
      stderrTail: expect.stringContaining('missing or empty metadata fields')
    })
    expect(outcomes[2]?.durationMs).toBe(100)
  })

  it('a transient registry error is reported as retryable', async () => {
    const h = harness({ failing: { b: publishFailure('b', '503 Service Unavailable') } })
    const outcomes = await uploadPlan(plan, cksums, absent, h.deps)
    expect(statuses(outcomes)).toBe('published failed pending pending pending pending')
    expect(outcomes[1]?.failure?.class).toBe('retryable')
  })

  it('a cargo failure before any upload (packaging) is laid on the first crate not uploaded', async () => {
    const h = harness({
      publish: async () => ({
        exitCode: 101,
        stdout: '',
        stderr:
          'error: failed to prepare local package for uploading\n\nCaused by:\n  no matching package named `zzz` found'
      })
    })
    const outcomes = await uploadPlan(plan, cksums, absent, h.deps)
    expect(statuses(outcomes)).toBe('failed pending pending pending pending pending')
    expect(outcomes[0]?.failure?.message).toBe(
      'uploading a@1.0.0 failed: failed to prepare local package for uploading: no matching package named `zzz` found'
    )
  })

  it('when cargo succeeds without lines we read, every crate is still proven in the index', async () => {
    const asked: string[] = []
    const h = harness({
      silent: true,
      waitVisible: async c => {
        asked.push(c.name)
        return visible()
      }
    })
    const outcomes = await uploadPlan(plan, cksums, absent, h.deps)
    expect(asked).toEqual(packages.map(p => p.name))
    expect(statuses(outcomes)).toBe(ALL_PUBLISHED)
  })

  it('goes on with a second cargo invocation when cargo gives up on its own index wait, since the index proof decides', async () => {
    // cargo's own wait (publish.timeout) ends after a and b; our proof still finds them visible
    let calls = 0
    const h = harness()
    const fake = h.deps.publish
    h.deps.publish = async (crates, watch) => {
      if (calls++ > 0) return fake(crates, watch)
      for (const c of crates.slice(0, 2)) announceUpload(watch, c)
      return cargoGaveUpWaiting('c v1.0.0 and d v1.0.0')
    }
    const outcomes = await uploadPlan(plan, cksums, absent, h.deps)
    expect(h.invocations).toEqual([['c', 'd', 'e', 'f']])
    expect(calls).toBe(2)
    expect(statuses(outcomes)).toBe(ALL_PUBLISHED)
  })

  it('when cargo stops on its own while a proof fails, the failed proof is the failure, not the crates cargo never sent', async () => {
    const h = harness({
      waitVisible: async c =>
        c.name === 'a' ? { visible: false, attempts: 3, durationMs: 1500 } : visible()
    })
    h.deps.publish = async (crates, watch) => {
      announceUpload(watch, crates[0] as PlannedCrate)
      return cargoGaveUpWaiting('b v1.0.0')
    }
    const outcomes = await uploadPlan(plan, cksums, absent, h.deps)
    expect(statuses(outcomes)).toBe('failed pending pending pending pending pending')
    expect(outcomes[0]?.failure?.class).toBe('ambiguous')
  })

  it('keeps the two ends of a dropped dev-dependency cycle in separate cargo invocations, in plan order', async () => {
    // serde-like: b dev-depends on f through a cycle the plan dropped
    const h = harness()
    const outcomes = await uploadPlan(
      { packages, droppedDevEdges: [{ from: 'b', to: 'f', req: '^1' }] },
      cksums,
      absent,
      h.deps
    )
    expect(h.invocations).toEqual([['a', 'b', 'c', 'd', 'e'], ['f']])
    expect(statuses(outcomes)).toBe(ALL_PUBLISHED)
  })

  it('polls a crate again as soon as cargo says it saw it in the index, without finishing its pause', async () => {
    const h = harness()
    let aProven: () => void = () => undefined
    const proven = new Promise<void>(resolve => (aProven = resolve))
    h.deps.onSettled = o => {
      if (o.name === 'a') aProven()
    }
    // a pause that only a poke ends: without one, this test never finishes
    h.deps.clock = {
      now: () => 0,
      sleep: (_ms, cut) =>
        new Promise<void>(resolve =>
          cut?.addEventListener('abort', () => resolve(), { once: true })
        )
    }
    h.deps.waitVisible = async (_crate, _cksum, pause) => {
      await pause(60_000)
      return visible()
    }
    h.deps.publish = async (crates, watch) => {
      announceUpload(watch, crates[0] as PlannedCrate)
      watch.onLine('   Published a v1.0.0 at registry `r`')
      await proven // proven while cargo still runs
      return ok
    }
    const outcomes = await uploadPlan(
      { packages: [packages[0] as PlannedCrate] },
      cksums,
      absent,
      h.deps
    )
    expect(statuses(outcomes)).toBe('published')
  })

  it('once cargo has exited, no proof waits out its pause', async () => {
    const h = harness()
    h.deps.clock = {
      now: () => 0,
      sleep: (_ms, cut) =>
        new Promise<void>(resolve =>
          cut?.addEventListener('abort', () => resolve(), { once: true })
        )
    }
    let polls = 0
    h.deps.waitVisible = async (_crate, _cksum, pause) => {
      if (polls++ === 0) await pause(60_000)
      return visible()
    }
    const outcomes = await uploadPlan(plan, cksums, absent, h.deps)
    expect(statuses(outcomes)).toBe(ALL_PUBLISHED)
  })

  it('skips versions already there with the same bytes, uploading only the rest', async () => {
    const h = harness()
    const states = new Map(absent)
    states.set('a', { kind: 'same' })
    states.set('c', { kind: 'same' })
    const outcomes = await uploadPlan(plan, cksums, states, h.deps)

    expect(statuses(outcomes)).toBe('skipped published skipped published published published')
    expect(outcomes[0]).toMatchObject({
      cksum: 'sum-a',
      durationMs: 0,
      reason: 'already in the rehearsal registry with the same contents'
    })
    expect(h.invocations).toEqual([['b', 'd', 'e', 'f']])
  })

  it('refuses a registry holding a planned version with other bytes before uploading anything', async () => {
    const h = harness()
    const states = new Map(absent)
    states.set('d', { kind: 'different', cksum: 'other' })
    const outcomes = await uploadPlan(plan, cksums, states, h.deps)

    expect(h.log).toEqual([])
    expect(statuses(outcomes)).toBe('pending pending pending failed pending pending')
    expect(outcomes[3]?.failure).toMatchObject({
      class: 'permanent',
      message:
        'the rehearsal registry already holds d@1.0.0 with different contents; use a fresh registry'
    })
    expect(h.settled.map(o => o.name)).toEqual(['d'])
  })

  it('does not trust cargo’s exit code: a version missing from the index after the timeout fails and stops cargo', async () => {
    const h = harness({
      waitVisible: async c =>
        c.name === 'a' ? { visible: false, attempts: 7, durationMs: 5000 } : visible()
    })
    const outcomes = await uploadPlan(plan, cksums, absent, h.deps)

    expect(h.log).toContain('cargo stopped')
    expect(h.log).not.toContain('start b')
    expect(statuses(outcomes)).toBe('failed pending pending pending pending pending')
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

describe('cargoOrderable', () => {
  const names = (parts: PlannedCrate[][]) => parts.map(p => p.map(c => c.name))
  it('is one part without dropped edges', () => {
    expect(names(cargoOrderable(packages, []))).toEqual([['a', 'b', 'c', 'd', 'e', 'f']])
  })
  it('cuts before the second end of each dropped edge, whichever way it points', () => {
    expect(names(cargoOrderable(packages, [{ from: 'c', to: 'b' }]))).toEqual([
      ['a', 'b'],
      ['c', 'd', 'e', 'f']
    ])
    expect(
      names(
        cargoOrderable(packages, [
          { from: 'a', to: 'b' },
          { from: 'e', to: 'd' }
        ])
      )
    ).toEqual([['a'], ['b', 'c', 'd'], ['e', 'f']])
  })
  it('ignores a dropped edge to a crate that is not uploaded (already in the registry)', () => {
    const rest = packages.filter(c => c.name !== 'a')
    expect(names(cargoOrderable(rest, [{ from: 'b', to: 'a' }]))).toEqual([
      ['b', 'c', 'd', 'e', 'f']
    ])
  })
})

describe('uploadLine', () => {
  it('reads which crate cargo starts and finishes uploading, and nothing else', () => {
    expect(uploadLine('   Uploading x v0.1.0 (/ws/x)')).toEqual({ step: 'uploading', name: 'x' })
    expect(uploadLine('    Uploaded x v0.1.0 to registry `r`')).toEqual({
      step: 'uploaded',
      name: 'x'
    })
    expect(uploadLine('   Published x v0.1.0 and y v0.2.0 at registry `r`')).toEqual({
      step: 'seen',
      names: ['x', 'y']
    })
    expect(
      uploadLine('   Published a v1.0.0, b-2 v0.1.0-rc.1 and c v2.0.0 at registry `r`')
    ).toEqual({
      step: 'seen',
      names: ['a', 'b-2', 'c']
    })
    expect(uploadLine('   Published x v0.1.0 at registry `r`')).toEqual({
      step: 'seen',
      names: ['x']
    })
    expect(uploadLine('note: waiting for x v0.1.0 to be available at registry `r`')).toBeUndefined()
    expect(
      uploadLine('error: failed to publish y v0.1.0 to registry at http://127.0.0.1:1')
    ).toBeUndefined()
  })
})
