import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from '@jest/globals'
import { cargoSandbox } from '../../__tests__/helpers/sandbox.js'
import {
  crateGraph,
  crateManifest,
  latticeWidth,
  levelsOf,
  libSource,
  SHAPES,
  writeWorkspace,
  type BenchCrate
} from '../workspace.js'

/** A level is one more than the deepest dependency's, as the plan computes it. */
function expectedLevel(crate: BenchCrate, all: BenchCrate[]): number {
  const levels = crate.deps.map(d => all.find(c => c.name === d)?.level ?? Number.NaN)
  return levels.length === 0 ? 0 : Math.max(...levels) + 1
}

describe('crateGraph', () => {
  it('a chain of N has N levels, each crate depending on the previous one', () => {
    const chain = crateGraph('chain', 5)
    expect(levelsOf(chain)).toHaveLength(5)
    expect(chain.map(c => c.deps)).toEqual([
      [],
      ['bench-c000'],
      ['bench-c001'],
      ['bench-c002'],
      ['bench-c003']
    ])
  })

  it('wide has one root and N-1 dependents of it', () => {
    const wide = crateGraph('wide', 20)
    expect(levelsOf(wide).map(l => l.length)).toEqual([1, 19])
    expect(wide.slice(1).every(c => c.deps.length === 1 && c.deps[0] === 'bench-c000')).toBe(true)
  })

  it('a lattice has rows of about √N crates, each depending on two crates of the row above', () => {
    const lattice = crateGraph('lattice', 50)
    expect(latticeWidth(50)).toBe(7)
    expect(levelsOf(lattice).map(l => l.length)).toEqual([7, 7, 7, 7, 7, 7, 7, 1])
    for (const crate of lattice.filter(c => c.level > 0)) expect(crate.deps).toHaveLength(2)
  })

  it.each(SHAPES.flatMap(shape => [5, 20, 50].map(size => [shape, size] as const)))(
    '%s %i: N crates, unique names, plan order, consistent levels',
    (shape, size) => {
      const crates = crateGraph(shape, size)
      expect(crates).toHaveLength(size)
      expect(new Set(crates.map(c => c.name)).size).toBe(size)
      for (const crate of crates) expect(crate.level).toBe(expectedLevel(crate, crates))
      const order = crates.map(c => [c.level, c.name] as const)
      const sorted = [...order].sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : 1))
      expect(order).toEqual(sorted)
    }
  )

  it('refuses an empty workspace', () => {
    expect(() => crateGraph('wide', 0)).toThrow('size must be ≥ 1')
  })
})

describe('sources', () => {
  const crate: BenchCrate = { name: 'bench-c003', level: 1, deps: ['bench-c001'] }

  it('names the registry on internal dependencies only when asked', () => {
    expect(crateManifest(crate)).toContain(
      'bench-c001 = { path = "../bench-c001", version = "0.1.0" }'
    )
    expect(crateManifest(crate, 'bench')).toContain(
      'bench-c001 = { path = "../bench-c001", version = "0.1.0", registry = "bench" }'
    )
  })

  it('grows with the code units and calls every dependency', () => {
    const small = libSource(crate, 1)
    const large = libSource(crate, 8)
    expect(large.length).toBeGreaterThan(6 * small.length)
    expect(large).toContain('bench_c001::checksum(seed)')
    expect(large).toContain('run7(seed)')
  })

  it('with external dependencies, declares each of them and uses each of them', () => {
    const manifest = crateManifest(crate, 'live', true)
    const lib = libSource(crate, 1, true)
    for (const dep of ['serde', 'serde_json', 'regex', 'anyhow', 'thiserror', 'log']) {
      expect(manifest).toMatch(new RegExp(`^${dep} = `, 'm'))
      expect(lib).toContain(`${dep}::`)
    }
    expect(manifest).toContain('features = ["derive"]')
    expect(lib).toContain('parse_config(')
    expect(crateManifest(crate)).not.toContain('serde')
    expect(libSource(crate, 1)).not.toContain('serde')
  })
})

describe('a generated workspace', () => {
  const sandbox = cargoSandbox('bench-ws-')
  afterAll(() => sandbox.cleanup())

  it('builds, and cargo metadata sees the generated graph', () => {
    const ws = writeWorkspace(join(sandbox.root, 'ws'), { shape: 'lattice', size: 5, units: 1 })
    const env = { ...process.env, ...sandbox.env }
    const metadata = JSON.parse(
      execFileSync(
        'cargo',
        ['metadata', '--format-version', '1', '--no-deps', '--manifest-path', ws.manifestPath],
        { env, encoding: 'utf8' }
      )
    ) as { packages: Array<{ name: string; dependencies: Array<{ name: string }> }> }
    const seen = metadata.packages
      .map(p => ({ name: p.name, deps: p.dependencies.map(d => d.name).sort() }))
      .sort((x, y) => (x.name < y.name ? -1 : 1))
    expect(seen).toEqual(ws.crates.map(c => ({ name: c.name, deps: [...c.deps].sort() })))
    execFileSync('cargo', ['build', '--quiet', '--manifest-path', ws.manifestPath], {
      env,
      stdio: 'pipe'
    })
  })
})
