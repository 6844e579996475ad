import { describe, expect, it } from '@jest/globals'
import { matchesReq, parseReq, parseVersion } from '../../src/util/semver.js'

// Every row was checked against cargo 1.95 itself: a consumer with `t = "<req>"` resolving
// against a directory source that holds only `t <version>`.
type Row = [req: string, version: string, matches: boolean]

const table: Record<string, Row[]> = {
  'caret (the default)': [
    ['^1.2.3', '1.2.3', true],
    ['^1.2.3', '1.9.0', true],
    ['^1.2.3', '1.2.2', false],
    ['^1.2.3', '2.0.0', false],
    ['1.2.3', '1.2.4', true],
    ['1.2.3', '2.0.0', false],
    ['^1.2', '1.2.0', true],
    ['^1.2', '1.1.9', false],
    ['^1', '1.99.0', true],
    ['^1', '0.9.0', false],
    ['^0.2.3', '0.2.9', true],
    ['^0.2.3', '0.3.0', false],
    ['^0.2', '0.2.0', true],
    ['^0.2', '0.3.0', false],
    ['^0.0.3', '0.0.3', true],
    ['^0.0.3', '0.0.4', false],
    ['^0.0', '0.0.9', true],
    ['^0.0', '0.1.0', false],
    ['^0', '0.9.9', true],
    ['^0', '1.0.0', false]
  ],
  tilde: [
    ['~1.2.3', '1.2.3', true],
    ['~1.2.3', '1.2.9', true],
    ['~1.2.3', '1.3.0', false],
    ['~1.2', '1.2.0', true],
    ['~1.2', '1.3.0', false],
    ['~1', '1.9.0', true],
    ['~1', '2.0.0', false]
  ],
  wildcards: [
    ['*', '0.0.1', true],
    ['*', '99.0.0', true],
    ['1.*', '1.0.0', true],
    ['1.*', '1.9.0', true],
    ['1.*', '2.0.0', false],
    ['1.*', '0.9.9', false],
    ['1.2.*', '1.2.9', true],
    ['1.2.*', '1.3.0', false],
    ['1.x', '1.5.0', true],
    ['1.*.*', '1.5.0', true],
    ['x', '1.2.3', true],
    ['>=1.*', '0.9.0', false],
    ['>=1.*', '2.0.0', true],
    ['>1.*', '1.5.0', false],
    ['>1.*', '2.0.0', true],
    ['<1.*', '0.9.0', true],
    ['<1.*', '1.0.0', false],
    ['<=1.*', '1.9.0', true],
    ['<=1.*', '2.0.0', false],
    ['~1.*', '2.0.0', false],
    ['1.2.*', '1.2.0-pre', false]
  ],
  comparisons: [
    ['=1.2.3', '1.2.3', true],
    ['=1.2.3', '1.2.4', false],
    ['=1.2', '1.2.7', true],
    ['=1.2', '1.3.0', false],
    ['=1.0.152', '1.0.152', true],
    ['>=1.2.0', '1.2.0', true],
    ['>=1.2.0', '1.1.9', false],
    ['>1.2.0', '1.2.0', false],
    ['>1.2.0', '1.2.1', true],
    ['>1.2', '1.2.9', false],
    ['>1.2', '1.3.0', true],
    ['>1', '1.9.0', false],
    ['>1', '2.0.0', true],
    ['<1.2.0', '1.1.9', true],
    ['<1.2.0', '1.2.0', false],
    ['<1.2', '1.1.99', true],
    ['<1.2', '1.2.0', false],
    ['<=1.2', '1.2.9', true],
    ['<=1.2', '1.3.0', false],
    ['<=1.2.0', '1.2.1', false],
    ['>= 1.2, < 1.5', '1.4.9', true],
    ['>= 1.2, < 1.5', '1.5.0', false],
    ['>= 1.2, < 1.5', '1.1.0', false]
  ],
  'pre-releases': [
    ['*', '1.0.0-alpha', false],
    ['^1.2.3', '1.2.3-alpha', false],
    ['^1.2.3', '1.2.4-alpha', false],
    ['>=1.0.0', '2.0.0-rc.1', false],
    ['^1.2.3-alpha.1', '1.2.3-alpha.1', true],
    ['^1.2.3-alpha.1', '1.2.3-alpha.2', true],
    ['^1.2.3-alpha.1', '1.2.3-beta', true],
    ['^1.2.3-alpha.1', '1.2.3', true],
    ['^1.2.3-alpha.1', '1.2.4', true],
    ['^1.2.3-alpha.1', '1.2.4-alpha', false],
    ['^1.2.3-alpha.1', '1.2.3-alpha.0', false],
    ['>=1.2.3-alpha, <1.2.4', '1.2.3-beta', true],
    ['=1.2.3-alpha', '1.2.3-alpha', true],
    ['=1.2.3-alpha', '1.2.3-alpha.1', false],
    ['^1.0.0-alpha.9', '1.0.0-alpha.10', true],
    ['^1.0.0-alpha.10', '1.0.0-alpha.9', false],
    ['^1.0.0-alpha', '1.0.0-alpha.1', true],
    ['^1.0.0-1', '1.0.0-alpha', true],
    ['^1.0.0-alpha', '1.0.0-1', false]
  ],
  'build metadata': [
    ['=1.2.3', '1.2.3+build.5', true],
    ['=1.2.3+ignored', '1.2.3', true]
  ]
}

describe('matchesReq', () => {
  for (const [group, rows] of Object.entries(table)) {
    describe(group, () => {
      it.each(rows)('%s against %s is %s', (req, version, expected) => {
        expect(matchesReq(req, version)).toBe(expected)
      })
    })
  }

  it('never matches a version it cannot parse', () => {
    expect(matchesReq('*', 'latest')).toBe(false)
    expect(matchesReq('^1', '1.2')).toBe(false)
  })
})

describe('parseReq', () => {
  it.each(['', 'abc', '1.2.3.4', '>=*', '01.2', '1.*.3', '^1.2-alpha', '1.2.3-', '1.2.3, *'])(
    'rejects %p',
    req => {
      expect(() => parseReq(req)).toThrow(/invalid version requirement/)
    }
  )
})

describe('parseVersion', () => {
  it('reads major, minor, patch and pre-release identifiers', () => {
    expect(parseVersion('1.20.3-rc.1+meta')).toEqual({
      major: 1,
      minor: 20,
      patch: 3,
      pre: ['rc', '1']
    })
  })

  it('rejects leading zeros and partial versions', () => {
    expect(parseVersion('1.02.3')).toBeUndefined()
    expect(parseVersion('1.2')).toBeUndefined()
    expect(parseVersion('1.2.3-01')).toBeUndefined()
  })
})
