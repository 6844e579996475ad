import { describe, expect, it } from '@jest/globals'
import { systemClock } from '../src/clock.js'

describe('systemClock.sleep', () => {
  it('ends as soon as its cut is aborted, and leaves no timer holding the process', async () => {
    const cut = new AbortController()
    const started = Date.now()
    const sleeping = systemClock.sleep(60_000, cut.signal)
    cut.abort()
    await sleeping
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('does not sleep at all when the cut is already aborted', async () => {
    const cut = new AbortController()
    cut.abort()
    await systemClock.sleep(60_000, cut.signal)
  })
})
