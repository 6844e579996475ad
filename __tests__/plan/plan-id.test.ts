import { describe, expect, it } from '@jest/globals'
import { buildPlan } from '../../src/plan/plan.js'
import { planIdOf } from '../../src/plan/index.js'
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

  it("hashes shipper's order, not the publish order a versioned dev-dependency imposes", () => {
    const draft = buildPlan(metadataFixture('dev-reorder'), {
      packages: [],
      targetRegistry: 'crates-io'
    })
    expect(draft.packages.map(p => p.name)).toEqual(['zebra', 'aardvark'])
    // printf 'https://crates.io\naardvark@0.1.0\nzebra@0.1.0\n' | sha256sum
    expect(planIdOf('https://crates.io', draft)).toBe(
      '05ab12fe7776941aa4f10b6acf875526d3025dbff0aca5c1cde1fee8e133ae54'
    )
  })

  it('keeps the id of a plan whose orders agree (serde-style cycle, publish = false)', () => {
    const serde = buildPlan(metadataFixture('serde-like'), {
      packages: [],
      targetRegistry: 'crates-io'
    })
    // printf 'https://crates.io\nserde_derive@1.0.152\nserde@1.0.152\n' | sha256sum
    expect(planIdOf('https://crates.io', serde)).toBe(
      'd7d34a96b62459c11b65dcc52504ed03cdd908b03b4f52c5ef4e947e5ece385a'
    )
    const published = buildPlan(metadataFixture('publish'), {
      packages: [],
      targetRegistry: 'crates-io'
    })
    // printf 'https://crates.io\npub-both@0.1.0\npub-open@0.1.0\npub-app@0.1.0\n' | sha256sum
    expect(planIdOf('https://crates.io', published)).toBe(
      '47f03c945a387d518ea783a5b4121a307e1f70369bd9c99689ee116db2bdefe2'
    )
  })

  it('gives the chain fixture the id of its bottom-up order', () => {
    const draft = buildPlan(metadataFixture('chain'), { packages: [], targetRegistry: 'crates-io' })
    expect(computePlanId('https://crates.io', draft.packages)).toBe(
      '7c6ebadaff9352cccffaba9480bb69b31fe2da141208e383997879e2474e5b33'
    )
  })
})
