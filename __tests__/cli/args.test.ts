import { describe, expect, it } from '@jest/globals'
import { parseArgs } from '../../src/cli/args.js'

describe('command-line flags', () => {
  it('mirror the action inputs in both --name value and --name=value forms', () => {
    const a = parseArgs(['--manifest-path', 'x/Cargo.toml', '--packages=a,b', 'extra'])
    expect(a.inputs).toEqual({ 'manifest-path': 'x/Cargo.toml', packages: 'a,b' })
    expect(a.positionals).toEqual(['extra'])
  })

  it('take bare boolean flags as true and --no-flag as false', () => {
    const a = parseArgs(['--smoke-build', '--no-cache', '--dry-run=false'])
    expect(a.inputs).toEqual({ 'smoke-build': 'true', cache: 'false', 'dry-run': 'false' })
  })

  it('keep command-specific flags apart from inputs', () => {
    const a = parseArgs(['--format', 'json'], ['format'])
    expect(a.extra).toEqual({ format: 'json' })
    expect(a.inputs).toEqual({})
  })

  it('refuse an unknown flag with a hint', () => {
    expect(() => parseArgs(['--manifest'])).toThrow(/unknown flag --manifest/)
  })

  it('refuse a value flag without a value', () => {
    expect(() => parseArgs(['--packages'])).toThrow(/--packages needs a value/)
    expect(() => parseArgs(['--packages', '--dry-run'])).toThrow(/needs a value/)
  })
})
