import type { Plan } from '../../src/plan/types.js'
import type { CrateStatus } from '../../src/engine/status.js'
import type { RunResult } from '../../src/result.js'

/** A four-crate workspace: core and macros at level 0, app on both, cli on app; xtask unpublished. */
export function samplePlan(): Plan {
  const root = '/home/runner/work/demo/demo'
  const crate = (name: string, level: number, dependencies: string[]) => ({
    name,
    version: '0.2.0',
    level,
    manifestPath: `${root}/crates/${name}/Cargo.toml`,
    dependencies,
    bins: name === 'cli' ? ['demo'] : [],
    hasLib: name !== 'cli'
  })
  return {
    planId: '3f9a1c0d5e7b2a4c6d8e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e',
    registry: 'crates-io',
    apiBase: 'https://crates.io',
    workspaceRoot: root,
    shipperOrder: ['demo-core', 'demo-macros', 'demo-app', 'cli'],
    devOnlySelection: [],
    packages: [
      crate('demo-core', 0, []),
      crate('demo-macros', 0, []),
      crate('demo-app', 1, ['demo-core', 'demo-macros']),
      crate('cli', 2, ['demo-app'])
    ],
    levels: [['demo-core', 'demo-macros'], ['demo-app'], ['cli']],
    skipped: [{ name: 'xtask', version: '0.0.0', reason: 'publish = false' }],
    droppedDevEdges: []
  }
}

export function outcomes(statuses: CrateStatus['status'][]): CrateStatus[] {
  return samplePlan().packages.map((p, i) => ({
    name: p.name,
    version: p.version,
    level: p.level,
    status: statuses[i] ?? 'pending',
    durationMs: statuses[i] === 'pending' ? 0 : 1200 + i * 1000
  }))
}

export function baseResult(overrides: Partial<RunResult>): RunResult {
  return {
    mode: 'rehearse',
    outcome: 'passed',
    plan: samplePlan(),
    digest: {
      digest: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
      perCrate: {}
    },
    packages: outcomes(['published', 'published', 'published', 'published']),
    published: [],
    stateDir: '/home/runner/work/demo/demo/.shipper',
    registry: { name: 'rehearsal', url: 'http://127.0.0.1:35711', embedded: true },
    startedAt: '2026-04-17T12:00:00.000Z',
    completedAt: '2026-04-17T12:00:14.500Z',
    ...overrides
  }
}

export const RUN_URL = 'https://github.com/acme/demo/actions/runs/4242'
