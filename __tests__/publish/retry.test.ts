import { describe, expect, it } from '@jest/globals'
import { NEW_CRATE_RATE_LIMIT_MS, retryDelayMs } from '../../src/publish/retry.js'

const low = () => 0
const high = () => 0.999999

describe('retryDelayMs', () => {
  it('doubles from the base with equal jitter: between half and all of the step', () => {
    expect([1, 2, 3, 4].map(attempt => retryDelayMs({ attempt, random: low }))).toEqual([
      1000, 2000, 4000, 8000
    ])
    expect([1, 2, 3, 4].map(attempt => retryDelayMs({ attempt, random: high }))).toEqual([
      2000, 4000, 8000, 16000
    ])
    expect(retryDelayMs({ attempt: 2, random: () => 0.5 })).toBe(3000)
  })

  it('honours a custom base and caps the backoff at maxMs', () => {
    expect(retryDelayMs({ attempt: 1, baseMs: 100, random: high })).toBe(100)
    expect(retryDelayMs({ attempt: 30, random: high })).toBe(120000)
    expect(retryDelayMs({ attempt: 30, random: low })).toBe(60000)
    expect(retryDelayMs({ attempt: 5, maxMs: 5000, random: high })).toBe(5000)
  })

  it('waits at least as long as the registry asked, even beyond maxMs', () => {
    expect(retryDelayMs({ attempt: 1, random: low, retryAfterMs: 45000 })).toBe(45000)
    expect(retryDelayMs({ attempt: 1, random: low, retryAfterMs: 500_000 })).toBe(500_000)
    expect(retryDelayMs({ attempt: 4, random: high, retryAfterMs: 10 })).toBe(16000)
  })

  it('waits at least 10 minutes when a brand-new crate hits the rate limit', () => {
    expect(NEW_CRATE_RATE_LIMIT_MS).toBe(600000)
    expect(
      retryDelayMs({ attempt: 1, random: low, newCrateRateLimit: true, isNewCrate: true })
    ).toBe(600000)
    expect(retryDelayMs({ attempt: 1, random: low, rateLimited: true, isNewCrate: true })).toBe(
      600000
    )
    expect(
      retryDelayMs({ attempt: 1, random: low, newCrateRateLimit: true, retryAfterMs: 900000 })
    ).toBe(900000)
  })

  it('does not impose the new-crate floor on an existing crate or on a non-rate-limit failure', () => {
    expect(retryDelayMs({ attempt: 1, random: low, rateLimited: true, isNewCrate: false })).toBe(
      1000
    )
    expect(retryDelayMs({ attempt: 1, random: low, isNewCrate: true })).toBe(1000)
  })

  it('returns whole milliseconds', () => {
    expect(Number.isInteger(retryDelayMs({ attempt: 3, random: () => 0.123456 }))).toBe(true)
  })

  it('rejects an attempt number below 1', () => {
    expect(() => retryDelayMs({ attempt: 0, random: low })).toThrow(RangeError)
  })
})
