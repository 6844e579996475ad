import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { INPUTS, OUTPUTS } from '../src/options/inputs.js'
import { TOOL } from '../src/version.js'

const action = parse(readFileSync('action.yml', 'utf8')) as {
  runs: { using: string; main: string }
  inputs: Record<string, { default?: string; description: string; required: boolean }>
  outputs: Record<string, { description: string }>
  branding: { icon: string; color: string }
}

describe('action.yml', () => {
  it('runs dist/index.js on node24', () => {
    expect(action.runs.using).toBe('node24')
    expect(action.runs.main).toBe('dist/index.js')
  })

  it('declares exactly the inputs of docs/contract.md, with their defaults', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(INPUTS.map(i => i.name).sort())
    for (const input of INPUTS) {
      expect([input.name, action.inputs[input.name]?.default ?? '']).toEqual([
        input.name,
        input.default
      ])
      expect(action.inputs[input.name]?.required).toBe(false)
    }
  })

  it('declares exactly the outputs of docs/contract.md', () => {
    expect(Object.keys(action.outputs).sort()).toEqual(OUTPUTS.map(o => o.name).sort())
  })

  it('has Marketplace branding', () => {
    expect(action.branding.icon).toBeTruthy()
    expect(action.branding.color).toBeTruthy()
  })
})

describe('package.json', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
    version: string
    type: string
    bin: Record<string, string>
    engines: { node: string }
  }

  it('is ESM with a shipper-rehearse bin and the version receipts record', () => {
    expect(pkg.type).toBe('module')
    expect(pkg.bin['shipper-rehearse']).toBe('dist/cli.js')
    expect(pkg.engines.node).toBe('>=20')
    expect(TOOL.version).toBe(pkg.version)
  })
})
