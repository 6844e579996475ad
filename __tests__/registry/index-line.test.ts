import { describe, expect, it } from '@jest/globals'
import { buildIndexEntry, indexDep, pubtime, splitFeatures } from '../../src/registry/index-line.js'
import { publishMetadataSchema } from '../../src/registry/publish-body.js'

/** Metadata exactly as cargo 1.95 sends it for a crate with a renamed and an optional dependency. */
const fromCargo = publishMetadataSchema.parse({
  name: 'sr-gamma',
  vers: '0.1.0',
  deps: [
    {
      name: 'sr-beta',
      version_req: '^0.1.0',
      features: [],
      optional: false,
      default_features: true,
      target: null,
      kind: 'normal',
      explicit_name_in_toml: 'beta'
    },
    {
      name: 'sr-alpha',
      version_req: '^0.1.0',
      features: ['loud'],
      optional: true,
      default_features: false,
      target: 'cfg(unix)',
      kind: 'normal'
    },
    {
      name: 'serde',
      version_req: '^1',
      features: [],
      optional: false,
      default_features: true,
      target: null,
      kind: 'dev',
      registry: 'https://github.com/rust-lang/crates.io-index'
    }
  ],
  features: { extra: ['dep:sr-alpha'], loud: ['sr-alpha?/loud'], plain: ['extra'] },
  authors: [],
  description: 'd',
  license: 'MIT',
  links: 'z',
  rust_version: '1.70',
  badges: {}
})

describe('index line from publish metadata', () => {
  const entry = buildIndexEntry(fromCargo, 'abc123', Date.UTC(2026, 0, 2, 3, 4, 5, 678))

  it('lists a renamed dependency under its TOML key with package = the real name', () => {
    expect(entry.deps[0]).toEqual({
      name: 'beta',
      package: 'sr-beta',
      req: '^0.1.0',
      features: [],
      optional: false,
      default_features: true,
      target: null,
      kind: 'normal',
      registry: null
    })
  })

  it('turns version_req into req and keeps optional, features, target and kind', () => {
    expect(entry.deps[1]).toEqual({
      name: 'sr-alpha',
      req: '^0.1.0',
      features: ['loud'],
      optional: true,
      default_features: false,
      target: 'cfg(unix)',
      kind: 'normal',
      registry: null
    })
    expect(entry.deps[1]).not.toHaveProperty('package')
  })

  it('passes another registry through', () => {
    expect(entry.deps[2]).toMatchObject({
      name: 'serde',
      kind: 'dev',
      registry: 'https://github.com/rust-lang/crates.io-index'
    })
  })

  it('moves dep: and ?/ features to features2 and marks the entry v 2', () => {
    expect(entry.features).toEqual({ plain: ['extra'] })
    expect(entry.features2).toEqual({ extra: ['dep:sr-alpha'], loud: ['sr-alpha?/loud'] })
    expect(entry.v).toBe(2)
  })

  it('carries cksum, links, rust_version, yanked false and a whole-second pubtime', () => {
    expect(entry).toMatchObject({
      name: 'sr-gamma',
      vers: '0.1.0',
      cksum: 'abc123',
      yanked: false,
      links: 'z',
      rust_version: '1.70',
      pubtime: '2026-01-02T03:04:05Z'
    })
  })

  it('writes v 1 and no features2 when only classic feature syntax is used', () => {
    const plain = buildIndexEntry(
      publishMetadataSchema.parse({ name: 'a', vers: '1.0.0', features: { x: ['y/z'] } }),
      'c',
      0
    )
    expect(plain.v).toBe(1)
    expect(plain).not.toHaveProperty('features2')
    expect(plain.features).toEqual({ x: ['y/z'] })
    expect(plain.links).toBeNull()
  })
})

describe('helpers', () => {
  it('does not treat an explicit name equal to the real name as a rename', () => {
    const dep = indexDep({
      name: 'a',
      version_req: '1',
      explicit_name_in_toml: 'a',
      features: [],
      optional: false,
      default_features: true
    })
    expect(dep.name).toBe('a')
    expect(dep).not.toHaveProperty('package')
    expect(dep.kind).toBe('normal')
  })

  it('splits features by syntax', () => {
    expect(splitFeatures({ a: [], b: ['dep:x'], c: ['x?/y', 'a'] })).toEqual({
      features: { a: [] },
      features2: { b: ['dep:x'], c: ['x?/y', 'a'] }
    })
  })

  it('formats pubtime as RFC 3339 UTC seconds', () => {
    expect(pubtime(Date.UTC(2025, 11, 31, 23, 59, 59, 999))).toBe('2025-12-31T23:59:59Z')
  })
})
