import { describe, expect, it } from '@jest/globals'
import { publishMetadataSchema } from '../../src/registry/publish-body.js'
import { compareVersions, isSemver, withoutBuild } from '../../src/util/semver.js'
import {
  canonicalName,
  checkAgainstRegistry,
  checkIdentity,
  checkMetadataStrict,
  crateNameProblem,
  isValidKeyword,
  MAX_UPLOAD_BYTES,
  type RegistryView
} from '../../src/registry/validate.js'

const OWN = 'sparse+http://127.0.0.1:4000/api/v1/crates/'

function meta(extra: Record<string, unknown> = {}) {
  return publishMetadataSchema.parse({
    name: 'demo',
    vers: '1.0.0',
    description: 'a crate',
    license: 'MIT',
    ...extra
  })
}

const dep = (extra: Record<string, unknown>) => ({
  name: 'other',
  version_req: '^1',
  features: [],
  optional: false,
  default_features: true,
  kind: 'normal',
  ...extra
})

const strictly = (m: ReturnType<typeof meta>, size = 100) => checkMetadataStrict(m, size, OWN)

describe('crates.io-strict metadata checks', () => {
  it('accepts a complete crate', () => {
    expect(strictly(meta())).toBeNull()
  })

  it('names every missing field the way crates.io does', () => {
    expect(strictly(meta({ description: '', license: null }))).toEqual({
      status: 400,
      detail:
        'missing or empty metadata fields: description, license. Please see https://doc.rust-lang.org/cargo/reference/manifest.html for more information on configuring these fields'
    })
    expect(strictly(meta({ description: null }))?.detail).toMatch(
      /^missing or empty metadata fields: description\. /
    )
  })

  it("applies the preflight's rule set: SPDX licenses, category slugs, reserved names", () => {
    expect(strictly(meta({ license: 'MIT/Apache-2.0' }))).toBeNull()
    expect(strictly(meta({ license: 'Apache 2.0' }))?.detail).toMatch(
      /^unknown or invalid license expression `Apache 2\.0`/
    )
    expect(strictly(meta({ categories: ['parsers'] }))?.detail).toBe(
      'The following category slugs are not currently supported on crates.io: parsers'
    )
    expect(strictly(meta({ name: 'proc-macro' }))?.detail).toBe(
      'cannot upload a crate with a reserved name'
    )
  })

  it('accepts license_file instead of license', () => {
    expect(strictly(meta({ license: null, license_file: 'LICENSE' }))).toBeNull()
  })

  it('refuses more than 5 keywords or categories', () => {
    expect(strictly(meta({ keywords: ['a', 'b', 'c', 'd', 'e', 'f'] }))?.detail).toBe(
      'expected at most 5 keywords per crate'
    )
    expect(strictly(meta({ keywords: ['a', 'b', 'c', 'd', 'e'] }))).toBeNull()
    expect(strictly(meta({ categories: ['a', 'b', 'c', 'd', 'e', 'f'] }))?.detail).toBe(
      'expected at most 5 categories per crate'
    )
  })

  it('refuses invalid and over-long keywords', () => {
    expect(strictly(meta({ keywords: ['c++', '-dash'] }))?.detail).toBe(
      '"-dash" is an invalid keyword'
    )
    expect(strictly(meta({ keywords: ['x'.repeat(21)] }))?.detail).toBe(
      `"${'x'.repeat(21)}" is an invalid keyword (keywords must have less than 20 characters)`
    )
  })

  it('refuses a .crate over 10 MiB with 413', () => {
    expect(strictly(meta(), MAX_UPLOAD_BYTES + 1)).toEqual({
      status: 413,
      detail: 'max upload size is: 10485760'
    })
    expect(strictly(meta(), MAX_UPLOAD_BYTES)).toBeNull()
  })

  it('refuses dependencies from a third registry but allows crates.io and this one', () => {
    expect(
      strictly(meta({ deps: [dep({ registry: 'sparse+https://other.example/index/' })] }))?.detail
    ).toBe(
      'Dependency `other` is hosted on another registry. Cross-registry dependencies are not permitted on crates.io.'
    )
    expect(
      strictly(meta({ deps: [dep({ registry: 'https://github.com/rust-lang/crates.io-index' })] }))
    ).toBeNull()
    expect(
      strictly(meta({ deps: [dep({ registry: 'sparse+https://index.crates.io/' })] }))
    ).toBeNull()
    expect(
      strictly(meta({ deps: [dep({ registry: 'sparse+http://127.0.0.1:4000/api/v1/crates' })] }))
    ).toBeNull()
    expect(strictly(meta({ deps: [dep({})] }))).toBeNull()
  })

  it('refuses wildcard requirements and bad dependency keys', () => {
    expect(strictly(meta({ deps: [dep({ version_req: '*' })] }))?.detail).toMatch(
      /^wildcard \(`\*`\) dependency constraints are not allowed on crates.io. Crate with this problem: `other`/
    )
    expect(strictly(meta({ deps: [dep({ explicit_name_in_toml: '9lives' })] }))?.detail).toBe(
      'the name `9lives` cannot be used as a dependency name, the name cannot start with a digit'
    )
    expect(strictly(meta({ deps: [dep({ explicit_name_in_toml: '_ok' })] }))).toBeNull()
  })

  it('checks URLs and description length like crates.io', () => {
    expect(strictly(meta({ homepage: 'example.com' }))?.detail).toBe(
      'URL for field `homepage` must begin with http:// or https:// (url: example.com)'
    )
    expect(strictly(meta({ description: 'x'.repeat(1001) }))?.detail).toMatch(
      /A maximum of 1000 characters/
    )
  })
})

describe('crate names', () => {
  it.each([
    ['', 'crate name cannot be empty'],
    ['1abc', 'the name `1abc` cannot be used as a crate name, the name cannot start with a digit'],
    [
      '_abc',
      'invalid character `_` in crate name: `_abc`, the first character must be an ASCII character'
    ],
    [
      'foo+bar',
      'invalid character `+` in crate name: `foo+bar`, characters must be an ASCII alphanumeric characters, `-`, or `_`'
    ],
    ['a'.repeat(65), `the crate name \`${'a'.repeat(65)}\` is too long (max 64 characters)`]
  ])('refuses %j in crates.io words', (name, detail) => {
    expect(crateNameProblem(name, 'crate')).toBe(detail)
    expect(checkIdentity(meta({ name }), true)).toEqual({ status: 400, detail })
  })

  it('accepts ordinary names', () => {
    expect(crateNameProblem('serde_json-2', 'crate')).toBeNull()
    expect(crateNameProblem('a'.repeat(64), 'crate')).toBeNull()
  })

  it('refuses versions that are not semver', () => {
    expect(checkIdentity(meta({ vers: '1.0' }), true)?.detail).toBe(
      '"1.0" is an invalid semver version'
    )
    expect(checkIdentity(meta({ vers: '1.0' }), false)?.detail).toBe('ERROR: invalid version: 1.0')
  })

  it('still refuses unsafe names in non-strict mode', () => {
    expect(checkIdentity(meta({ name: '../x' }), false)?.status).toBe(400)
    expect(checkIdentity(meta({ name: 'a'.repeat(80) }), false)).toBeNull()
  })

  it('folds case and -/_ like crates.io', () => {
    expect(canonicalName('Foo-Bar_baz')).toBe('foo_bar_baz')
  })

  it("validates keywords with crates.io's rule", () => {
    expect(isValidKeyword('c++')).toBe(true)
    expect(isValidKeyword('no-std')).toBe(true)
    expect(isValidKeyword('+x')).toBe(false)
    expect(isValidKeyword('has space')).toBe(false)
  })
})

describe('checks against what is published', () => {
  function view(crates: Record<string, string[]>, strict: boolean): RegistryView {
    const fold = strict ? canonicalName : (n: string) => n.toLowerCase()
    return {
      find: n => {
        const hit = Object.keys(crates).find(k => fold(k) === fold(n))
        return hit === undefined ? undefined : { name: hit, versions: crates[hit] ?? [] }
      },
      hasExact: n => n in crates
    }
  }

  it('says which name a crate was previously published under', () => {
    expect(
      checkAgainstRegistry(meta({ name: 'foo_bar' }), view({ 'foo-bar': ['1.0.0'] }, true), true)
    ).toEqual({ status: 400, detail: 'crate was previously named `foo-bar`' })
  })

  it('refuses a duplicate version, ignoring build metadata', () => {
    const v = view({ demo: ['1.0.0+old'] }, true)
    expect(checkAgainstRegistry(meta({ vers: '1.0.0+new' }), v, true)?.detail).toBe(
      'crate version `1.0.0` is already uploaded'
    )
    expect(checkAgainstRegistry(meta({ vers: '1.0.1' }), v, true)).toBeNull()
  })

  it("uses kellnr's words in non-strict mode and does not fold - and _", () => {
    const v = view({ demo: ['1.0.0'], 'foo-bar': ['1.0.0'] }, false)
    expect(checkAgainstRegistry(meta(), v, false)?.detail).toBe(
      'ERROR: Crate with version already exists: demo-1.0.0'
    )
    expect(checkAgainstRegistry(meta({ name: 'foo_bar' }), v, false)).toBeNull()
  })

  it('refuses a same-registry dependency on a crate it does not have (strict only)', () => {
    const m = meta({ deps: [dep({ name: 'ghost' })] })
    expect(checkAgainstRegistry(m, view({}, true), true)?.detail).toBe(
      'no known crate named `ghost`'
    )
    expect(checkAgainstRegistry(m, view({}, false), false)).toBeNull()
    const fromCratesIo = meta({
      deps: [dep({ name: 'ghost', registry: 'https://github.com/rust-lang/crates.io-index' })]
    })
    expect(checkAgainstRegistry(fromCratesIo, view({}, true), true)).toBeNull()
  })
})

describe('semver helpers', () => {
  it('validates SemVer 2.0', () => {
    expect(isSemver('1.2.3-alpha.1+build.5')).toBe(true)
    expect(isSemver('01.2.3')).toBe(false)
    expect(isSemver('1.2')).toBe(false)
  })

  it('orders by precedence, ignoring build metadata', () => {
    const sorted = [
      '1.0.0',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '0.9.10',
      '1.0.0-beta',
      '0.9.9',
      '1.0.0-alpha.beta'
    ].sort(compareVersions)
    expect(sorted).toEqual([
      '0.9.9',
      '0.9.10',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0'
    ])
    expect(compareVersions('1.0.0+a', '1.0.0+b')).toBe(0)
    expect(withoutBuild('1.0.0+a')).toBe('1.0.0')
  })
})
