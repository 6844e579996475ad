import { describe, expect, it } from '@jest/globals'
import { withUnsentProof } from '../../src/rehearse/unsent-proof.js'
import type { Outcome, RunResult } from '../../src/result.js'

function result(outcome: Outcome): RunResult {
  return {
    mode: 'rehearse',
    outcome,
    packages: [],
    published: [],
    stateDir: '/ws/.shipper',
    startedAt: '2026-01-01T00:00:00.000Z',
    completedAt: '2026-01-01T00:01:00.000Z'
  }
}

describe('a rehearsal whose proof was not uploaded', () => {
  it('fails a passing rehearsal, with the cause and the fix', () => {
    const judged = withUnsentProof(result('passed'), 'proof', 'storage quota has been hit')
    expect(judged.outcome).toBe('failed')
    expect(judged.failure).toEqual({
      class: 'retryable',
      message:
        "the rehearsal passed, but its proof (artifact 'proof') could not be uploaded: storage quota has been hit",
      hint: expect.stringMatching(/^re-run this job .*retention-days.*publish job refuses/)
    })
  })

  it.each(['failed', 'skipped'] as const)('keeps the verdict of a %s rehearsal', outcome => {
    const before = result(outcome)
    expect(withUnsentProof(before, 'proof', 'quota')).toBe(before)
  })
})
