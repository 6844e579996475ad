import { describe, expect, it } from '@jest/globals'
import { fakeClock } from '../../src/clock.js'
import type { IndexEntry } from '../../src/sparse/client.js'
import { readIndexSnapshot } from '../../src/target/snapshot.js'

const entry = (name: string, vers: string, yanked = false): IndexEntry => ({
  name,
  vers,
  cksum: 'c',
  deps: [],
  features: {},
  yanked
})

describe('readIndexSnapshot', () => {
  it('reads each crate once, however often it is named, at most `concurrency` at a time', async () => {
    const asked: string[] = []
    let inFlight = 0
    let most = 0
    const snapshot = await readIndexSnapshot(
      ['a', 'b', 'a', 'c', 'd', 'b'],
      async name => {
        asked.push(name)
        most = Math.max(most, ++inFlight)
        await new Promise(resolve => setImmediate(resolve))
        inFlight--
        return name === 'd' ? null : [entry(name, '1.0.0'), entry(name, '1.1.0', true)]
      },
      { concurrency: 2 }
    )
    expect(asked.sort()).toEqual(['a', 'b', 'c', 'd'])
    expect(most).toBe(2)
    expect(snapshot.read('a')).toEqual({
      entries: [entry('a', '1.0.0'), entry('a', '1.1.0', true)]
    })
    expect(snapshot.resolvableVersions('a')).toEqual(['1.0.0'])
    expect(snapshot.resolvableVersions('d')).toEqual([])
    expect(snapshot.resolvableVersions('never-asked')).toBeNull()
    expect(snapshot.firstFailure()).toBeUndefined()
  })

  it('retries a failed read with the given pauses on the injected clock, then keeps the error', async () => {
    const clock = fakeClock()
    const tries = new Map<string, number>()
    const retried: string[] = []
    const snapshot = await readIndexSnapshot(
      ['flaky', 'down'],
      async name => {
        const n = (tries.get(name) ?? 0) + 1
        tries.set(name, n)
        if (name === 'flaky' && n < 3) throw new Error('502')
        if (name === 'down') throw new Error(`refused ${n}`)
        return [entry(name, '1.0.0')]
      },
      {
        retry: {
          maxAttempts: 3,
          clock,
          delayMs: attempt => attempt * 1000,
          onRetry: (name, error, delay) => retried.push(`${name} ${error.message} ${delay}`)
        }
      }
    )
    expect(tries).toEqual(
      new Map([
        ['flaky', 3],
        ['down', 3]
      ])
    )
    expect(snapshot.resolvableVersions('flaky')).toEqual(['1.0.0'])
    expect(snapshot.resolvableVersions('down')).toBeNull()
    expect(snapshot.firstFailure()).toEqual({ name: 'down', error: new Error('refused 3') })
    expect(retried.sort()).toEqual([
      'down refused 1 1000',
      'down refused 2 2000',
      'flaky 502 1000',
      'flaky 502 2000'
    ])
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(6000)
  })

  it('keeps the first error when no retry is asked for', async () => {
    let calls = 0
    const snapshot = await readIndexSnapshot(['a'], async () => {
      calls++
      throw new Error('down')
    })
    expect(calls).toBe(1)
    expect(snapshot.read('a')).toEqual({ error: new Error('down') })
  })
})
