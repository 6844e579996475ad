import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from '@jest/globals'
import {
  checkRealDeps,
  missingRealDep,
  uploadProblem,
  verificationProblem,
  type DepsCaseResult
} from '../deps.js'
import { checkTargets, depsRatio, renderReport, summarizeDeps } from '../report.js'
import type { TimedLine } from '../world.js'
import { testReport } from './fixtures.js'

const chain5: DepsCaseResult = {
  case: { shape: 'chain', size: 5 },
  runs: [
    { variant: 'b', temperature: 'cold', ms: 40_000 },
    { variant: 'b', temperature: 'cold', ms: 44_000 },
    { variant: 'b', temperature: 'cold', ms: 41_000 },
    { variant: 'b', temperature: 'warm', ms: 4_000 },
    { variant: 'c', temperature: 'cold', ms: 42_000 },
    { variant: 'c', temperature: 'warm', ms: 5_000 },
    { variant: 'p', temperature: 'cold', ms: 2_000 },
    { variant: 'p', temperature: 'warm', ms: 2_000 },
    { variant: 'pa', temperature: 'cold', ms: 41_000 },
    { variant: 'pa', temperature: 'warm', ms: 5_000 }
  ]
}

describe('summarizeDeps', () => {
  it('takes the median per variant and target dir, and counts the runs of the thinnest cell', () => {
    const [s] = summarizeDeps([chain5])
    expect(s?.ms['b cold']).toBe(41_000)
    expect(s?.ms['pa warm']).toBe(5_000)
    expect(s?.runs).toBe(1)
    expect(depsRatio(s!, 'p', 'cold')).toBeCloseTo(2 / 41)
    expect(depsRatio(s!, 'p', 'warm')).toBeCloseTo(0.5)
  })

  it('has no ratio for a variant that did not run', () => {
    const [s] = summarizeDeps([{ ...chain5, runs: chain5.runs.filter(m => m.variant !== 'p') }])
    expect(depsRatio(s!, 'p', 'cold')).toBeUndefined()
  })
})

describe('the target of publish after a content-bound rehearsal', () => {
  it('checks p/b ≤ 0.35 at each temperature', () => {
    const checks = checkTargets([], undefined, summarizeDeps([chain5]))
    expect(checks.map(c => [c.label, c.ok])).toEqual([
      ['chain 5 with real dependencies, cold target dir: p/b ≤ 0.35', true],
      ['chain 5 with real dependencies, warm target dir: p/b ≤ 0.35', false]
    ])
  })
})

describe('a report of the deps case alone', () => {
  const report = testReport({
    mode: 'deps',
    command: 'npm run bench -- --deps',
    durationMs: 200_000,
    cliStartupMs: 120,
    deps: [chain5]
  })

  it('has the section with both temperatures and the verdicts, and no empty matrix sections', () => {
    const text = renderReport(report)
    expect(text).toContain('## Real dependencies: publish after a content-bound rehearsal')
    expect(text).toContain(
      '| chain 5 | cold | 41.00 | 42.00 | 2.00 | 41.00 | 1.02 | 0.05 ✓ | 1.00 |'
    )
    expect(text).toContain('| chain 5 | warm | 4.00 | 5.00 | 2.00 | 5.00 | 1.25 | 0.50 ✗ | 1.25 |')
    expect(text).toContain(
      '- ✗ chain 5 with real dependencies, warm target dir: p/b ≤ 0.35: 0.500 — missed by 42.9 %'
    )
    expect(text).not.toContain('## What is measured')
    expect(text).not.toContain('## Where the time goes')
  })
})

describe('checks of a deps run', () => {
  it('wants every crate uploaded exactly once and nothing else', () => {
    const names = ['bench-c000', 'bench-c001']
    expect(uploadProblem({ 'bench-c000@0.1.0': 1, 'bench-c001@0.1.0': 1 }, names)).toBeUndefined()
    expect(uploadProblem({ 'bench-c000@0.1.0': 1, 'bench-c001@0.1.0': 2 }, names)).toMatch(
      'expected one upload of each of 2 crates'
    )
    expect(uploadProblem({ 'bench-c000@0.1.0': 1 }, names)).toBeDefined()
    expect(uploadProblem({ 'other@0.1.0': 1 }, [])).toBeDefined()
    expect(uploadProblem({}, [])).toBeUndefined()
  })

  it('wants p to skip the verification build and pa to run it', () => {
    const skipped: TimedLine[] = [
      { ms: 1, stream: 'out', text: 'verification build skipped (verify: auto): the rehearsal …' }
    ]
    const built: TimedLine[] = [{ ms: 1, stream: 'out', text: 'uploading bench-c000@0.1.0' }]
    expect(verificationProblem(skipped, 'p')).toBeUndefined()
    expect(verificationProblem(built, 'pa')).toBeUndefined()
    expect(verificationProblem(built, 'p')).toBe('p: the publish ran the verification build')
    expect(verificationProblem(skipped, 'pa')).toBe(
      'pa: the publish skipped the verification build'
    )
  })
})

describe('the crates.io stand-in of the deps case', () => {
  it('names the first missing crate and the packages to install', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-deps-source-'))
    try {
      const all = ['serde-1.0.152', 'serde_derive-1.0.152', 'serde_json-1.0.87', 'regex-1.7.1']
      for (const crate of all) mkdirSync(join(dir, crate))
      expect(missingRealDep(dir)).toBe('anyhow-1')
      for (const crate of ['anyhow-1.0.69', 'thiserror-1.0.38', 'log-0.4.17']) {
        mkdirSync(join(dir, crate))
      }
      expect(missingRealDep(dir)).toBeUndefined()
      expect(missingRealDep(join(dir, 'absent'))).toBe('serde-1')
      expect(() => checkRealDeps(join(dir, 'absent'))).toThrow(
        /needs serde-1\.\* in .*apt-get install -y librust-serde-derive-dev/
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
