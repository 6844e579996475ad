import { describe, expect, it } from '@jest/globals'
import {
  checkTargets,
  keptNotes,
  NOTES_BEGIN,
  NOTES_END,
  renderReport,
  summarize,
  type CaseResult
} from '../report.js'
import { median } from '../stats.js'
import { testReport } from './fixtures.js'
import { cargoMarks, rehearsalMarks, type Measurement, type Variant } from '../variants.js'

const runs = (variant: Variant, ...ms: number[]): Measurement[] => ms.map(x => ({ variant, ms: x }))

const zeroLag: CaseResult = {
  case: { shape: 'wide', size: 20, lagMs: 0 },
  runs: {
    a: runs('a', 20_000, 21_000, 19_000),
    b: runs('b', 10_000, 10_400, 9_000),
    c: runs('c', 10_500, 12_000, 10_900),
    d: runs('d', 9_000, 9_500, 9_200),
    e: []
  }
}

const lagged: CaseResult = {
  case: { shape: 'wide', size: 20, lagMs: 1000 },
  runs: {
    a: runs('a', 40_000, 40_000, 40_000),
    b: runs('b', 12_000, 12_000, 12_000),
    c: [90, 104, 95].map(mib => ({ variant: 'c', ms: 13_000, rssKb: mib * 1024 })),
    d: [],
    e: []
  }
}

describe('median', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(() => median([])).toThrow('empty')
  })
})

describe('summarize', () => {
  it('takes medians, and gives a lagged case the zero-lag compile floor', () => {
    const [zero, lag] = summarize([zeroLag, lagged])
    expect(zero?.ms).toEqual({ a: 20_000, b: 10_000, c: 10_900, d: 9_200 })
    expect(zero?.dSource).toBe('measured')
    expect(lag?.ms.d).toBe(9_200)
    expect(lag?.dSource).toBe('zero-lag')
  })
})

describe('checkTargets', () => {
  it("checks the issue's zero-lag, lagged, start-up, bundle, RSS and plan targets with their limits", () => {
    const checks = checkTargets(
      summarize([zeroLag, lagged]),
      {
        size: 500,
        levels: 23,
        runs: 5,
        metadataMs: 400,
        computePlanMs: 2_600,
        overheadMs: 2_200
      },
      [],
      { cliStartupMs: 110, nodeStartupMs: 60, distBytes: 7_200_000 }
    )
    expect(checks.map(c => [c.label, c.ok])).toEqual([
      ['wide 20: c/b ≤ 1.05', false],
      ['wide 20: c/d ≤ 1.10', false],
      ['wide 20, 1 s lag: c/b ≤ 1.03', false],
      ['`dist/cli.js --version` / `node -e 0` ≤ 2', true],
      ['committed dist/ ≤ 7 MB', false],
      ["peak RSS of the rehearsal's own process, every case ≤ 100 MiB", false],
      ['plan of 500 crates: computePlan − cargo metadata ≤ 2 s', false]
    ])
    expect(checks[2]?.value).toBeCloseTo(13 / 12)
    expect(checks[3]?.value).toBeCloseTo(110 / 60)
    expect(checks[4]?.value).toBeCloseTo(7.2)
    // the largest run counts, not the median
    expect(checks[5]?.value).toBe(104)
  })
})

describe('renderReport', () => {
  const report = testReport({
    mode: 'full',
    cases: [zeroLag, lagged],
    notes: 'Hand-written analysis.'
  })

  it('shows the ratios, the misses and their size, the machine, and keeps the notes', () => {
    const text = renderReport(report)
    expect(text).toContain('| wide | 20 | 20.00 | 10.00 | 10.90 | 9.20 | 0.55 | 1.09 ✗ | 1.18 ✗ |')
    expect(text).toContain('- ✗ wide 20, 1 s lag: c/b ≤ 1.03: 1.083 — missed by 5.2 %')
    expect(text).toContain('the run took 2 min 5 s')
    expect(text).toContain('Test CPU, 2 cores')
    expect(keptNotes(text)).toBe('Hand-written analysis.')
  })

  it('keeps nothing from a file without both markers', () => {
    expect(keptNotes(`${NOTES_BEGIN} half`)).toBeUndefined()
    expect(keptNotes(`${NOTES_BEGIN}\nkept\n${NOTES_END}`)).toBe('kept')
  })
})

describe('phase marks', () => {
  it('finds the rehearsal phases in its progress lines', () => {
    const marks = rehearsalMarks([
      {
        ms: 300,
        stream: 'out',
        text: 'waiting for the rehearsal registry at http://x/api/v1/health'
      },
      { ms: 310, stream: 'err', text: 'uploading is not a progress line on stderr' },
      {
        ms: 350,
        stream: 'out',
        text: 'copied 12 files of the workspace (all but target/ and .git)'
      },
      { ms: 360, stream: 'out', text: 'packaging and verifying 5 crates in one cargo run' },
      { ms: 2000, stream: 'out', text: 'uploading bench-c000@0.1.0' },
      { ms: 2100, stream: 'out', text: 'uploading bench-c001@0.1.0' }
    ])
    expect(marks).toEqual({ registry: 300, copy: 350, package: 360, upload: 2000 })
  })

  it("finds cargo's first Packaging and Uploading lines", () => {
    expect(
      cargoMarks([
        { ms: 50, stream: 'err', text: '   Packaging bench-c000 v0.1.0 (/w/crates/bench-c000)' },
        { ms: 900, stream: 'err', text: '   Uploading bench-c000 v0.1.0 (/w/crates/bench-c000)' }
      ])
    ).toEqual({ package: 50, upload: 900 })
  })
})
