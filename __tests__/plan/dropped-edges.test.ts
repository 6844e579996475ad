import { describe, expect, it } from '@jest/globals'
import { UserError } from '../../src/errors.js'
import { checkDroppedDevEdges } from '../../src/plan/dropped-edges.js'
import type { DroppedDevEdge } from '../../src/plan/types.js'

const serdeEdge: DroppedDevEdge = { from: 'serde_derive', to: 'serde', req: '^1.0' }

function planWith(...droppedDevEdges: DroppedDevEdge[]) {
  return { registry: 'crates-io', droppedDevEdges }
}

function index(versions: Record<string, string[] | null>) {
  const asked: string[] = []
  const versionsOf = async (name: string) => {
    asked.push(name)
    return versions[name] ?? null
  }
  return { asked, versionsOf }
}

describe('checkDroppedDevEdges', () => {
  it('accepts a dropped edge that an existing version satisfies', async () => {
    const { asked, versionsOf } = index({ serde: ['0.9.15', '1.0.151'] })
    await expect(checkDroppedDevEdges(planWith(serdeEdge), versionsOf)).resolves.toEqual([])
    expect(asked).toEqual(['serde'])
  })

  it('fails early, naming both crates and the fix, when no version matches', async () => {
    const { versionsOf } = index({ serde: ['0.9.15', '2.0.0-rc.1'] })
    const error = await checkDroppedDevEdges(planWith(serdeEdge), versionsOf).catch(e => e)
    expect(error).toBeInstanceOf(UserError)
    expect(error.message).toContain('serde_derive dev-depends on serde ^1.0')
    expect(error.message).toContain('0.9.15, 2.0.0-rc.1')
    expect(error.hint).toContain(
      'drop the version from the dev-dependency of serde_derive on serde'
    )
    expect(error.exitCode).toBe(1)
  })

  it('fails when the crate was never published at all', async () => {
    const { versionsOf } = index({ serde: [] })
    const error = await checkDroppedDevEdges(planWith(serdeEdge), versionsOf).catch(e => e)
    expect(error).toBeInstanceOf(UserError)
    expect(error.message).toContain('it has none')
  })

  it('only warns when the index cannot be read', async () => {
    const { versionsOf } = index({ serde: null })
    const warnings = await checkDroppedDevEdges(planWith(serdeEdge), versionsOf)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('serde_derive')
    expect(warnings[0]).toContain('serde ^1.0')
  })

  it('checks every dropped edge', async () => {
    const other: DroppedDevEdge = { from: 'pub-app', to: 'pub-false', req: '^0.1.0' }
    const { asked, versionsOf } = index({ serde: ['1.0.0'], 'pub-false': ['0.2.0'] })
    const error = await checkDroppedDevEdges(planWith(serdeEdge, other), versionsOf).catch(e => e)
    expect(asked).toEqual(['serde', 'pub-false'])
    expect(error.message).toContain('pub-app dev-depends on pub-false ^0.1.0')
  })

  it('does nothing without dropped edges', async () => {
    const { asked, versionsOf } = index({})
    await expect(checkDroppedDevEdges(planWith(), versionsOf)).resolves.toEqual([])
    expect(asked).toEqual([])
  })
})
