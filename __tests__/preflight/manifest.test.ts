import { describe, expect, it } from '@jest/globals'
import { parseMetadata } from '../../src/plan/metadata.js'
import { manifestProblems, oversizeProblems } from '../../src/preflight/manifest.js'

const LIVE = 'sparse+http://127.0.0.1:9000/api/v1/crates/'
const dep = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  req: '^0.1.0',
  kind: null,
  optional: false,
  path: `/ws/${name}`,
  registry: null,
  ...extra
})
const pkg = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  version: '0.1.0',
  id: `path+file:///ws/${name}#0.1.0`,
  manifest_path: `/ws/${name}/Cargo.toml`,
  dependencies: [],
  targets: [{ kind: ['lib'], name }],
  description: 'd',
  license: 'MIT',
  ...extra
})
const metadata = parseMetadata({
  workspace_root: '/ws',
  workspace_members: ['a', 'b', 'c'].map(n => `path+file:///ws/${n}#0.1.0`),
  packages: [
    pkg('a', { readme: 'README.md' }),
    pkg('b', {
      dependencies: [
        dep('a'),
        dep('c', { registry: 'sparse+https://other.example/index/' }),
        dep('a', { kind: 'dev', req: '*' })
      ]
    }),
    pkg('c', { dependencies: [dep('a', { registry: LIVE })] })
  ]
})
const planned = ['a', 'b', 'c'].map(name => ({ name, version: '0.1.0' }))
const files = { exists: () => false, inherited: () => false }

describe('manifest problems for a private target', () => {
  const problems = manifestProblems(
    metadata,
    planned,
    { name: 'live', isCratesIo: false, indexUrl: LIVE },
    files
  )

  it('names each versioned in-workspace dependency without the target registry, with the fix', () => {
    expect(problems.map(p => [p.crate, p.field])).toEqual([
      ['a', 'package.readme'],
      ['b', 'dependencies.a'],
      ['b', 'dependencies.c']
    ])
    expect(problems[1]?.fix).toBe('add `registry = "live"` to a in [dependencies] of b/Cargo.toml')
    expect(problems[2]?.message).toContain('names another registry')
  })

  it("does not apply crates.io's rules to another registry", () => {
    const bare = parseMetadata({ ...metadata, packages: [pkg('a', { description: null })] })
    expect(
      manifestProblems(bare, planned, { name: 'live', isCratesIo: false, indexUrl: LIVE }, files)
    ).toEqual([])
  })
})

describe('packaged size', () => {
  it("flags a .crate over crates.io's 10 MiB", () => {
    const sizes = [
      { name: 'a', version: '0.1.0', bytes: 10 * 1024 * 1024 },
      { name: 'b', version: '0.1.0', bytes: 10 * 1024 * 1024 + 1 }
    ]
    expect(oversizeProblems(sizes).map(p => p.crate)).toEqual(['b'])
  })
})
