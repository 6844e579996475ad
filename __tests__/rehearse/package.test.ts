import { describe, expect, it } from '@jest/globals'
import type { PlannedCrate } from '../../src/plan/types.js'
import {
  crateOfPackageFailure,
  packageArgs,
  packagedCratePath
} from '../../src/rehearse/package.js'

const crate = (name: string, version = '0.1.0'): PlannedCrate => ({
  name,
  version,
  level: 0,
  manifestPath: `/ws/${name}/Cargo.toml`,
  dependencies: [],
  bins: [],
  hasLib: true
})
const plan = { packages: [crate('core-lib'), crate('derive', '1.2.3'), crate('app')] }

describe('packageArgs', () => {
  it('selects exactly the planned crates, for the rehearsal registry, in the dirty copy, keeping its lock', () => {
    expect(packageArgs(plan, 'rehearsal')).toEqual([
      'package',
      '-p',
      'core-lib',
      '-p',
      'derive',
      '-p',
      'app',
      '--registry',
      'rehearsal',
      '--allow-dirty',
      '--locked'
    ])
  })
})

describe('packagedCratePath', () => {
  it('is where cargo package leaves the archive', () => {
    expect(packagedCratePath('/t', crate('derive', '1.2.3'))).toBe('/t/package/derive-1.2.3.crate')
  })
})

describe('crateOfPackageFailure', () => {
  it('blames the crate cargo was verifying when the error came', () => {
    const stderr = [
      '   Packaging core-lib v0.1.0 (/s/core-lib)',
      '   Packaging derive v1.2.3 (/s/derive)',
      '   Verifying core-lib v0.1.0 (/s/core-lib)',
      '   Compiling core-lib v0.1.0 (/t/package/core-lib-0.1.0)',
      '   Verifying derive v1.2.3 (/s/derive)',
      '   Compiling core-lib v0.1.0 (registry `rehearsal`)',
      'error[E0425]: cannot find value `x` in this scope',
      'error: failed to verify package tarball'
    ].join('\n')
    expect(crateOfPackageFailure(stderr, plan)?.name).toBe('derive')
  })

  it('blames the crate being packaged when resolution fails', () => {
    const stderr = [
      '   Packaging core-lib v0.1.0 (/s/core-lib)',
      '   Packaging app v0.1.0 (/s/app)',
      '    Updating `rehearsal` index',
      'error: failed to prepare local package for uploading',
      '',
      'Caused by:',
      '  no matching package named `serde` found'
    ].join('\n')
    expect(crateOfPackageFailure(stderr, plan)?.name).toBe('app')
  })

  it('falls back to a planned crate the error names, and to none when it names no planned crate', () => {
    expect(
      crateOfPackageFailure(
        'error: failed to select a version for `x`.\n    required by package `derive v1.2.3 (/s/derive)`',
        plan
      )?.name
    ).toBe('derive')
    expect(crateOfPackageFailure('error: could not find `Cargo.toml`', plan)).toBeUndefined()
    expect(
      crateOfPackageFailure('   Packaging other v9.9.9 (/s/other)\nerror: boom', plan)
    ).toBeUndefined()
  })
})
