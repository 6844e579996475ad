import { describe, expect, it } from '@jest/globals'
import { drive, Schedule, type Schedulable } from '../../src/engine/schedule.js'

const c = (name: string, ...dependencies: string[]): Schedulable => ({ name, dependencies })

// A lattice: r; a, b, c on r; a2 on a, b2 on b, c2 on c; top on a2, b2, c2.
const lattice = [
  c('r'),
  c('a', 'r'),
  c('b', 'r'),
  c('c', 'r'),
  c('a2', 'a'),
  c('b2', 'b'),
  c('c2', 'c'),
  c('top', 'a2', 'b2', 'c2')
]

describe('Schedule', () => {
  it('releases a crate as soon as its own dependencies are confirmed, not its whole level', () => {
    const s = new Schedule(lattice)
    expect(s.takeReady()).toEqual(['r'])
    expect(s.takeReady()).toEqual([])
    s.markConfirmed('r')
    expect(s.takeReady()).toEqual(['a', 'b', 'c'])
    // a is slow: b and c confirm first, and their dependents start while a is still in flight
    s.markConfirmed('b')
    expect(s.takeReady()).toEqual(['b2'])
    s.markConfirmed('c')
    s.markConfirmed('b2')
    expect(s.takeReady()).toEqual(['c2'])
    s.markConfirmed('c2')
    // only a's branch waits for a
    expect(s.takeReady()).toEqual([])
    s.markConfirmed('a')
    expect(s.takeReady()).toEqual(['a2'])
    s.markConfirmed('a2')
    expect(s.takeReady()).toEqual(['top'])
    s.markConfirmed('top')
    expect(s.takeReady()).toEqual([])
  })

  it('hands out at most the asked number, in plan order', () => {
    const s = new Schedule(lattice, ['r'])
    expect(s.takeReady(2)).toEqual(['a', 'b'])
    expect(s.takeReady(2)).toEqual(['c'])
  })

  it('counts crates confirmed up front (already in the index) as visible', () => {
    const s = new Schedule(lattice, ['r', 'a'])
    expect(s.takeReady()).toEqual(['b', 'c', 'a2'])
  })

  it('ignores dependencies outside the plan', () => {
    expect(new Schedule([c('x', 'not-in-plan')]).takeReady()).toEqual(['x'])
  })

  it('starts nothing new after a failure, but lets in-flight crates be confirmed', () => {
    const s = new Schedule(lattice, ['r'])
    expect(s.takeReady()).toEqual(['a', 'b', 'c'])
    s.markFailed()
    s.markConfirmed('b')
    // b2 would be ready now, but the schedule has stopped
    expect(s.takeReady()).toEqual([])
    s.markConfirmed('c')
    expect(s.takeReady()).toEqual([])
  })
})

/** A task whose crate settles only when the test says so. */
function controlled() {
  const started: string[] = []
  const settlers = new Map<string, (ok: boolean) => void>()
  let inFlight = 0
  let maxInFlight = 0
  const task = (crate: Schedulable, settle: (ok: boolean) => void) => {
    started.push(crate.name)
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    return new Promise<void>(resolve => {
      settlers.set(crate.name, ok => {
        settle(ok)
        inFlight--
        resolve()
      })
    })
  }
  const flush = () => new Promise(resolve => setImmediate(resolve))
  const finish = async (name: string, ok = true) => {
    settlers.get(name)?.(ok)
    await flush()
  }
  return { task, started, finish, flush, maxInFlight: () => maxInFlight }
}

describe('drive', () => {
  it('starts a dependent while a slow crate of its level is still uploading', async () => {
    const h = controlled()
    const done = drive(lattice, new Schedule(lattice), { maxConcurrency: 3, task: h.task })
    await h.flush()
    await h.finish('r')
    expect(h.started).toEqual(['r', 'a', 'b', 'c'])
    await h.finish('b')
    expect(h.started.at(-1)).toBe('b2')
    await h.finish('c')
    expect(h.started.at(-1)).toBe('c2')
    await h.finish('b2')
    await h.finish('c2')
    expect(h.started).not.toContain('a2')
    await h.finish('a')
    await h.finish('a2')
    await h.finish('top')
    await done
    expect(h.started).toEqual(['r', 'a', 'b', 'c', 'b2', 'c2', 'a2', 'top'])
    expect(h.maxInFlight()).toBe(3)
  })

  it('keeps at most max-concurrency tasks in flight', async () => {
    const wide = [c('r'), ...['a', 'b', 'c', 'd', 'e'].map(n => c(n, 'r'))]
    const h = controlled()
    const done = drive(wide, new Schedule(wide, ['r']), { maxConcurrency: 2, task: h.task })
    await h.flush()
    expect(h.started).toEqual(['a', 'b'])
    await h.finish('b')
    expect(h.started.at(-1)).toBe('c')
    for (const n of ['a', 'c', 'd', 'e']) await h.finish(n)
    await done
    expect(h.maxInFlight()).toBe(2)
  })

  it('stops starting after a failure and returns once in-flight work settles', async () => {
    const h = controlled()
    const done = drive(lattice, new Schedule(lattice, ['r']), {
      maxConcurrency: 3,
      task: h.task
    })
    await h.flush()
    await h.finish('a', false)
    await h.finish('b')
    await h.finish('c')
    await done
    expect(h.started).toEqual(['a', 'b', 'c'])
  })

  it('rethrows a task error after the other tasks settle, starting nothing new', async () => {
    const two = [c('a'), c('b'), c('x', 'b')]
    let releaseB: () => void = () => undefined
    const started: string[] = []
    const done = drive(two, new Schedule(two), {
      maxConcurrency: 2,
      task: async (g, settle) => {
        started.push(g.name)
        if (g.name === 'a') throw new Error('boom')
        await new Promise<void>(resolve => (releaseB = resolve))
        settle(true)
      }
    })
    await new Promise(resolve => setImmediate(resolve))
    releaseB()
    await expect(done).rejects.toThrow('boom')
    expect(started).toEqual(['a', 'b'])
  })
})
