import { describe, expect, it } from '@jest/globals'
import {
  cratesIoProblems,
  isReservedName,
  isValidLicenseExpression,
  type CrateFields
} from '../../src/crates-io-rules.js'

const good: CrateFields = {
  name: 'alpha-lib',
  description: 'A library',
  license: 'MIT OR Apache-2.0',
  keywords: ['parser', 'no-std', 'c++'],
  categories: ['parser-implementations', 'development-tools::cargo-plugins']
}

const fields = (problems: ReturnType<typeof cratesIoProblems>) => problems.map(p => p.field)

describe("crates.io's upload rules", () => {
  it('accepts a crate crates.io accepts', () => {
    expect(cratesIoProblems(good)).toEqual([])
  })

  it('reports every problem of a crate at once, each with a fix', () => {
    const problems = cratesIoProblems({
      name: 'std',
      description: '',
      license: 'Apache 2.0',
      keywords: ['a', 'b', 'c', 'd', 'e', 'f'],
      categories: ['not-a-category']
    })
    expect(fields(problems)).toEqual([
      'package.name',
      'package.description',
      'package.license',
      'package.keywords',
      'package.categories'
    ])
    expect(problems.every(p => p.fix.length > 0)).toBe(true)
    expect(problems[0]?.message).toBe('cannot upload a crate with a reserved name')
  })

  it('takes license-file in place of license, as crates.io does', () => {
    expect(cratesIoProblems({ ...good, license: null, licenseFile: 'LICENSE.txt' })).toEqual([])
    expect(cratesIoProblems({ ...good, license: null })).toEqual([
      expect.objectContaining({ field: 'package.license', missing: 'license' })
    ])
  })

  it.each([
    ['MIT', true],
    ['MIT/Apache-2.0', true],
    ['MIT / Apache-2.0', true],
    ['(MIT OR Apache-2.0) AND Unicode-3.0', true],
    ['Apache-2.0 WITH LLVM-exception', true],
    ['GPL-3.0+', true],
    ['GPL-2.0', true],
    ['LicenseRef-Proprietary', true],
    ['mit', false],
    ['Apache 2.0', false],
    ['MIT OR', false],
    ['Nope-1.0', false]
  ])('parses the license %p as crates.io does: %p', (license, ok) => {
    expect(isValidLicenseExpression(license)).toBe(ok)
  })

  it('limits keywords to 20 bytes of crates.io characters', () => {
    expect(cratesIoProblems({ ...good, keywords: ['a'.repeat(20)] })).toEqual([])
    expect(cratesIoProblems({ ...good, keywords: ['a'.repeat(21)] })[0]?.message).toBe(
      `"${'a'.repeat(21)}" is an invalid keyword (keywords must have less than 20 characters)`
    )
    expect(cratesIoProblems({ ...good, keywords: ['-lead'] })[0]?.message).toBe(
      '"-lead" is an invalid keyword'
    )
    expect(cratesIoProblems({ ...good, keywords: ['has space'] })).toHaveLength(1)
  })

  it('refuses unknown category slugs, as crates.io has since June 2024', () => {
    const problems = cratesIoProblems({ ...good, categories: ['parsers', 'parsing'] })
    expect(problems).toEqual([
      expect.objectContaining({
        field: 'package.categories',
        message: 'The following category slugs are not currently supported on crates.io: parsers'
      })
    ])
  })

  it('knows reserved names up to case and -/_', () => {
    expect(isReservedName('Proc-Macro')).toBe(true)
    expect(isReservedName('com0')).toBe(true)
    expect(isReservedName('lpt9')).toBe(true)
    expect(isReservedName('serde')).toBe(false)
  })

  it('applies the name rules', () => {
    expect(fields(cratesIoProblems({ ...good, name: '1up' }))).toEqual(['package.name'])
    expect(fields(cratesIoProblems({ ...good, name: 'x'.repeat(65) }))).toEqual(['package.name'])
    expect(cratesIoProblems({ ...good, name: 'x'.repeat(64) })).toEqual([])
  })
})
