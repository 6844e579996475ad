import { describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from '../../src/cli/args.js'
import { UserError } from '../../src/errors.js'

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

describe('parseArgs: secrets', () => {
  const SECRET = 'tok-SECRET-123'
  const noEnv = { env: {} }

  it('refuses every secret flag, given a value or not, without echoing the value', () => {
    for (const flag of ['token', 'registry-token', 'github-token', 'registry-password']) {
      for (const argv of [[`--${flag}`, SECRET], [`--${flag}=${SECRET}`]]) {
        let error: unknown
        try {
          parseArgs(argv, [], noEnv)
        } catch (e) {
          error = e
        }
        expect(error).toBeInstanceOf(UserError)
        const { message, hint, exitCode } = error as UserError
        expect(exitCode).toBe(2)
        expect(message + hint).not.toContain(SECRET)
        expect(hint).toContain(`--${flag}-file PATH`)
      }
    }
  })

  it('reads a secret from a file, without its final newline, and `-` from standard input', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sr-args-'))
    try {
      writeFileSync(join(dir, 't'), `${SECRET}\n`)
      const a = parseArgs(['--token-file', join(dir, 't'), '--github-token-file=-'], [], {
        env: {},
        readStdin: () => 'gh-from-stdin\n'
      })
      expect(a.inputs).toEqual({ token: SECRET, 'github-token': 'gh-from-stdin' })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('takes the rehearsal registry token and password from the environment', () => {
    const a = parseArgs([], [], {
      env: { SHIPPER_REGISTRY_TOKEN: 'reg', SHIPPER_REGISTRY_PASSWORD: 'pw' }
    })
    expect(a.inputs).toEqual({ 'registry-token': 'reg', 'registry-password': 'pw' })
  })

  it('refuses an empty or missing secret file naming the flag, and two readers of stdin', () => {
    expect(() => parseArgs(['--token-file', '/nonexistent/x'], [], noEnv)).toThrow(
      /--token-file \/nonexistent\/x: cannot read it \(ENOENT\)/
    )
    expect(() => parseArgs(['--token-file', '-'], [], { env: {}, readStdin: () => '\n' })).toThrow(
      /--token-file - is empty/
    )
    expect(() => parseArgs(['--token-file', '-', '--github-token-file', '-'], [], noEnv)).toThrow(
      /more than one/
    )
  })
})
