import { describe, expect, it } from '@jest/globals'
import { buildPlan } from '../../src/plan/plan.js'
import { computePlanId } from '../../src/plan/plan-id.js'
import { metadataFixture } from './fixtures.js'

// Expected values computed outside this code, e.g.
//   printf 'https://crates.io\na@0.1.0\nb@0.1.0\n' | sha256sum
describe('computePlanId', () => {
  it("matches docs/formats.md's example input for crates a then b", () => {
    const crates = [
      { name: 'a', version: '0.1.0' },
      { name: 'b', version: '0.1.0' }
    ]
    expect(computePlanId('https://crates.io', crates)).toBe(
      'fc02c8f9f62d63326bee6b3ca9c3806c3cf14dc2eb4c96cf2842004156b3c50c'
    )
  })

  it('depends on publish order', () => {
    const crates = [
      { name: 'b', version: '0.1.0' },
      { name: 'a', version: '0.1.0' }
    ]
    expect(computePlanId('https://crates.io', crates)).toBe(
      '191efb13d8d7c84e6dac7af34c1ac3627e2d84980603a07bb837977b9980bfcc'
    )
  })

  it('hashes just the API base and a newline for an empty plan', () => {
    expect(computePlanId('https://crates.io', [])).toBe(
      '0d7445e1d88d2caf6d040bf183cd5bb2a46b369b1dc9e7aecdc73c04144cb9aa'
    )
  })

  it('uses the API base of another live registry', () => {
    const crates = [
      { name: 'serde_derive', version: '1.0.152' },
      { name: 'serde', version: '1.0.152' }
    ]
    expect(computePlanId('http://127.0.0.1:8000', crates)).toBe(
      '66a77fdf259fe67730a45b2258bc8644b78cfd9bafdbf34c235688e3f8721be0'
    )
  })

  it('gives the chain fixture the id of its bottom-up order', () => {
    const draft = buildPlan(metadataFixture('chain'), { packages: [], targetRegistry: 'crates-io' })
    expect(computePlanId('https://crates.io', draft.packages)).toBe(
      '7c6ebadaff9352cccffaba9480bb69b31fe2da141208e383997879e2474e5b33'
    )
  })
})
