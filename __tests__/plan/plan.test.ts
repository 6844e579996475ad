import { describe, expect, it } from '@jest/globals'
import { UserError } from '../../src/errors.js'
import { buildPlan, byteCompare, type PlanDraft } from '../../src/plan/plan.js'
import { metadataFixture } from './fixtures.js'

function plan(fixture: string, packages: string[] = [], targetRegistry = 'crates-io'): PlanDraft {
  return buildPlan(metadataFixture(fixture), { packages, targetRegistry })
}

function order(draft: PlanDraft): string[] {
  return draft.packages.map(p => p.name)
}

function planError(fixture: string, packages: string[] = []): UserError {
  try {
    plan(fixture, packages)
  } catch (error) {
    if (error instanceof UserError) return error
    throw error
  }
  throw new Error(`expected the plan of ${fixture} to fail`)
}

describe('buildPlan', () => {
  describe('ordering', () => {
    it('publishes a chain from the bottom up', () => {
      const draft = plan('chain')
      expect(order(draft)).toEqual(['zcore', 'lib-b', 'app'])
      expect(draft.levels).toEqual([['zcore'], ['lib-b'], ['app']])
      expect(draft.packages.map(p => p.dependencies)).toEqual([[], ['zcore'], ['lib-b']])
    })

    it('puts both sides of a diamond in one level, after the shared base', () => {
      const draft = plan('diamond')
      expect(order(draft)).toEqual(['bottom', 'left', 'right', 'top'])
      expect(draft.levels).toEqual([['bottom'], ['left', 'right'], ['top']])
      expect(draft.packages.find(p => p.name === 'top')?.dependencies).toEqual(['left', 'right'])
    })

    it('breaks ties byte-wise in a wide fan-out, not by locale', () => {
      const draft = plan('fan-out')
      const leaves = ['Leaf-Upper', 'leaf-a', 'leaf-b', 'leaf-c', 'leaf-d', 'leaf_x']
      expect(order(draft)).toEqual(['hub', ...leaves, 'all'])
      expect(draft.levels).toEqual([['hub'], leaves, ['all']])
      // The locale order differs, so this fixture can tell the two apart.
      expect([...leaves].sort((a, b) => a.localeCompare(b))).not.toEqual(leaves)
    })

    it('takes the smallest ready crate first, so plan order may revisit a lower level', () => {
      const draft = plan('publish')
      expect(order(draft)).toEqual(['pub-both', 'pub-open', 'pub-app'])
      expect(draft.packages.map(p => p.level)).toEqual([0, 0, 1])
      expect(draft.levels).toEqual([['pub-both', 'pub-open'], ['pub-app']])
    })

    it('compares names by code units', () => {
      expect(['b', 'a_b', 'a-b', 'B', 'ab'].sort(byteCompare)).toEqual([
        'B',
        'a-b',
        'a_b',
        'ab',
        'b'
      ])
    })
  })

  describe('edges', () => {
    it('follows renamed, build and platform-specific path dependencies on members', () => {
      const draft = plan('kinds')
      const plat = draft.packages.find(p => p.name === 'k-plat')
      expect(plat?.dependencies).toEqual(['k-base', 'k-macros', 'k-win'])
      expect(order(draft)).toEqual(['k-base', 'k-macros', 'k-old', 'k-win', 'k-plat'])
    })

    it('ignores a path dependency outside the workspace and a member named without a path', () => {
      const draft = plan('kinds')
      const plat = draft.packages.find(p => p.name === 'k-plat')
      expect(plat?.dependencies).not.toContain('outside')
      expect(plat?.dependencies).not.toContain('k-old')
      expect(draft.packages.find(p => p.name === 'k-old')?.level).toBe(0)
      expect(order(draft)).not.toContain('outside')
    })

    it('uses the version cargo resolved from version.workspace = true', () => {
      const draft = plan('kinds')
      expect(draft.packages.find(p => p.name === 'k-plat')?.version).toBe('2.1.0')
      expect(draft.packages.find(p => p.name === 'k-old')?.version).toBe('0.9.0')
    })

    it('lets a path-only dev-dependency close a cycle without any edge', () => {
      const draft = plan('path-dev-cycle')
      expect(order(draft)).toEqual(['beta', 'alpha'])
      expect(draft.packages.find(p => p.name === 'beta')?.dependencies).toEqual([])
      expect(draft.droppedDevEdges).toEqual([])
    })

    it('orders by a versioned dev-dependency where alphabetical order would fail', () => {
      const draft = plan('dev-reorder')
      expect(order(draft)).toEqual(['zebra', 'aardvark'])
      // shipper ignores dev-dependencies: the plan_id's order stays alphabetical here.
      expect(draft.shipperOrder).toEqual(['aardvark', 'zebra'])
      expect([...order(draft)].sort(byteCompare)).not.toEqual(order(draft))
      expect(draft.packages.find(p => p.name === 'aardvark')?.dependencies).toEqual(['zebra'])
      expect(draft.levels).toEqual([['zebra'], ['aardvark']])
      expect(draft.droppedDevEdges).toEqual([])
    })

    it('drops and lists a versioned dev-dependency that closes a cycle (serde/serde_derive)', () => {
      const draft = plan('serde-like')
      expect(order(draft)).toEqual(['serde_derive', 'serde'])
      expect(draft.shipperOrder).toEqual(['serde_derive', 'serde'])
      expect(draft.droppedDevEdges).toEqual([{ from: 'serde_derive', to: 'serde', req: '^1.0' }])
      expect(draft.packages.find(p => p.name === 'serde_derive')?.dependencies).toEqual([])
      expect(draft.packages.find(p => p.name === 'serde')?.dependencies).toEqual(['serde_derive'])
    })

    it('fails on a cycle of hard edges, naming only the crates in the cycle', () => {
      const error = planError('hard-cycle')
      expect(error.message).toContain('x, y')
      expect(error.message).not.toMatch(/\b[wz]\b/)
      expect(error.exitCode).toBe(2)
    })
  })

  describe('publishability', () => {
    it('skips publish = false and registry lists without the target, sorted by name', () => {
      const draft = plan('publish')
      expect(draft.skipped).toEqual([
        { name: 'pub-false', version: '0.1.0', reason: 'publish = false' },
        {
          name: 'pub-other',
          version: '0.1.0',
          reason: `publish = ["other"] does not include 'crates-io'`
        }
      ])
    })

    it('plans a crate whose publish list names the target registry', () => {
      const draft = plan('publish', [], 'other')
      expect(draft.registry).toBe('other')
      expect(order(draft)).toEqual(['pub-both', 'pub-open', 'pub-app', 'pub-other'])
      expect(draft.skipped.map(s => s.name)).toEqual(['pub-false'])
    })

    it('lists a versioned dev-dependency on an unpublished member as dropped', () => {
      expect(plan('publish').droppedDevEdges).toEqual([
        { from: 'pub-app', to: 'pub-false', req: '^0.1.0' }
      ])
    })

    it('fails when a publishable crate depends on an unpublishable member', () => {
      const error = planError('unpublishable-dep')
      expect(error.message).toContain('app depends on private-util')
      expect(error.message).toContain('publish = false')
      expect(error.exitCode).toBe(2)
    })

    it('reports bins and whether a crate has a library target', () => {
      const draft = plan('kinds')
      const byName = new Map(draft.packages.map(p => [p.name, p]))
      expect(byName.get('k-plat')).toMatchObject({ bins: ['k-plat'], hasLib: true })
      expect(byName.get('k-macros')).toMatchObject({ bins: [], hasLib: true })
      expect(plan('chain').packages.find(p => p.name === 'app')).toMatchObject({
        bins: ['app'],
        hasLib: false
      })
    })

    it('keeps the absolute manifest path and workspace root cargo printed', () => {
      const draft = plan('kinds')
      expect(draft.workspaceRoot).toBe('/ws/kinds')
      expect(draft.packages[0]?.manifestPath).toBe('/ws/kinds/crates/base/Cargo.toml')
    })
  })

  describe('candidates', () => {
    it('considers only packages listed as workspace members, matched by id', () => {
      const metadata = metadataFixture('chain')
      const app = metadata.packages.find(p => p.name === 'app')
      metadata.workspace_members = metadata.workspace_members.filter(id => id !== app?.id)
      const draft = buildPlan(metadata, { packages: [], targetRegistry: 'crates-io' })
      expect(order(draft)).toEqual(['zcore', 'lib-b'])
    })

    it('matches member ids of the path+file:///dir#name@version form', () => {
      const metadata = metadataFixture('kinds')
      expect(metadata.workspace_members).toContain('path+file:///ws/kinds/crates/plat#k-plat@2.1.0')
      expect(plan('kinds').packages).toHaveLength(5)
    })
  })

  describe('selection', () => {
    it('closes a selection over its in-workspace dependencies', () => {
      expect(order(plan('diamond', ['left']))).toEqual(['bottom', 'left'])
      expect(order(plan('chain', ['lib-b']))).toEqual(['zcore', 'lib-b'])
      expect(order(plan('diamond', ['top']))).toEqual(['bottom', 'left', 'right', 'top'])
    })

    it('closes a selection over kept versioned dev-dependencies, and says shipper does not', () => {
      const draft = plan('dev-reorder', ['aardvark'])
      expect(order(draft)).toEqual(['zebra', 'aardvark'])
      expect(draft.devOnlySelection).toEqual([{ name: 'zebra', dependents: ['aardvark'] }])
    })

    it('reports no dev-only selection when nothing was selected, or hard edges reach it too', () => {
      expect(plan('dev-reorder').devOnlySelection).toEqual([])
      expect(plan('diamond', ['top']).devOnlySelection).toEqual([])
    })

    it('keeps a dropped edge of a selected crate even when its target is not selected', () => {
      const draft = plan('serde-like', ['serde_derive'])
      expect(order(draft)).toEqual(['serde_derive'])
      expect(draft.droppedDevEdges).toEqual([{ from: 'serde_derive', to: 'serde', req: '^1.0' }])
    })

    it('accepts a name given twice', () => {
      expect(order(plan('chain', ['app', 'app']))).toEqual(['zcore', 'lib-b', 'app'])
    })

    it('rejects an unknown name, listing the valid ones', () => {
      const error = planError('diamond', ['left', 'middle'])
      expect(error.message).toContain("'middle'")
      expect(error.hint).toBe('valid names: bottom, left, right, top')
      expect(error.exitCode).toBe(2)
    })

    it('rejects selecting a crate that is not published to the target', () => {
      const error = planError('publish', ['pub-false'])
      expect(error.message).toContain("'pub-false'")
      expect(error.message).toContain('publish = false')
    })
  })
})
