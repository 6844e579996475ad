import { describe, expect, it } from '@jest/globals'
import { mapLimit } from '../../src/util/concurrency.js'

const tick = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

describe('mapLimit', () => {
  it('keeps item order and never runs more than the limit at once', async () => {
    let running = 0
    let peak = 0
    const results = await mapLimit([5, 1, 4, 2, 3], 2, async (n, i) => {
      running++
      peak = Math.max(peak, running)
      await tick(n)
      running--
      return `${i}:${n}`
    })
    expect(results).toEqual(['0:5', '1:1', '2:4', '3:2', '4:3'])
    expect(peak).toBe(2)
  })

  it('starts nothing new once a result says stop, and lets running calls finish', async () => {
    const started: number[] = []
    const results = await mapLimit(
      [1, 2, 3, 4, 5],
      2,
      async n => {
        started.push(n)
        await tick(n === 1 ? 1 : 10)
        return n
      },
      { stopWhen: n => n === 1 }
    )
    expect(started).toEqual([1, 2])
    expect(results).toEqual([1, 2, undefined, undefined, undefined])
  })

  it('rethrows the first error after the calls in flight have settled', async () => {
    let finished = false
    const run = mapLimit([1, 2, 3], 2, async n => {
      if (n === 1) throw new Error('boom')
      await tick(5)
      finished = true
      return n
    })
    await expect(run).rejects.toThrow('boom')
    expect(finished).toBe(true)
  })

  it('treats a limit below one as one, and handles no items', async () => {
    expect(await mapLimit([], 3, async () => 1)).toEqual([])
    let peak = 0
    let running = 0
    await mapLimit([1, 2, 3], 0, async () => {
      running++
      peak = Math.max(peak, running)
      await tick(1)
      running--
    })
    expect(peak).toBe(1)
  })
})
