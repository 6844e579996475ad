import { describe, expect, it } from '@jest/globals'
import { parse } from 'smol-toml'
import { UserError } from '../../src/errors.js'
import type { PlannedCrate } from '../../src/plan/types.js'
import { consumerCrates, consumerManifest, smokeInstallCrates } from '../../src/rehearse/smoke.js'

const crate = (name: string, bins: string[], hasLib = true): PlannedCrate => ({
  name,
  version: '2.0.0',
  level: 0,
  manifestPath: `/ws/${name}/Cargo.toml`,
  dependencies: [],
  bins,
  hasLib
})
const plan = {
  packages: [
    crate('lib-a', []),
    crate('tool', ['tool', 'tool-helper'], false),
    crate('both', ['both'])
  ]
}

function rejection(names: string[], p = plan): UserError {
  try {
    smokeInstallCrates(names, p)
  } catch (error) {
    if (error instanceof UserError) return error
  }
  throw new Error('expected a UserError')
}

describe('smokeInstallCrates', () => {
  it('accepts planned crates with a binary, once each, in the given order', () => {
    expect(smokeInstallCrates(['both', 'tool', 'both'], plan).map(c => c.name)).toEqual([
      'both',
      'tool'
    ])
    expect(smokeInstallCrates([], plan)).toEqual([])
  })

  it('rejects a crate outside the plan, listing those that qualify (exit 2)', () => {
    const error = rejection(['nope'])
    expect(error.exitCode).toBe(2)
    expect(error.message).toBe("smoke-install names 'nope', which is not in the publish plan")
    expect(error.hint).toBe('crates of this plan with a binary: tool, both')
  })

  it('rejects a library-only crate', () => {
    const error = rejection(['lib-a'])
    expect(error.message).toBe("smoke-install names 'lib-a', which has no binary target")
  })

  it('says so when no crate of the plan has a binary', () => {
    expect(rejection(['lib-a'], { packages: [crate('lib-a', [])] }).hint).toBe(
      'no crate of this plan has a binary target'
    )
  })
})

describe('consumer crate', () => {
  it('depends on every library crate at its exact version from the rehearsal registry', () => {
    const libs = consumerCrates(plan)
    expect(libs.map(c => c.name)).toEqual(['lib-a', 'both'])
    expect(parse(consumerManifest(libs, 'rehearsal'))).toEqual({
      package: {
        name: 'shipper-rehearse-consumer',
        version: '0.0.0',
        edition: '2021',
        publish: false
      },
      dependencies: {
        'lib-a': { version: '=2.0.0', registry: 'rehearsal' },
        both: { version: '=2.0.0', registry: 'rehearsal' }
      },
      workspace: {}
    })
  })
})
