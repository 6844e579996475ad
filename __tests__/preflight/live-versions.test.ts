import { describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { crateFileHashes } from '../../src/preflight/crate-archive.js'
import {
  compareLiveVersions,
  differingFiles,
  downloadUrl
} from '../../src/preflight/live-versions.js'
import type { PlannedCrate } from '../../src/plan/types.js'
import { privateDependencyFailure } from '../../src/preflight/manifest.js'

const sha = (s: string) => createHash('sha256').update(s).digest('hex')

/** A ustar entry: header then data padded to 512 bytes. */
function entry(name: string, data: string, type = '0'): Buffer {
  const header = Buffer.alloc(512)
  header.write(name.slice(0, 100), 0)
  header.write(`${Buffer.byteLength(data).toString(8).padStart(11, '0')}\0`, 124)
  header.write(type, 156)
  header.write('ustar\0', 257)
  const body = Buffer.alloc(Math.ceil(Buffer.byteLength(data) / 512) * 512)
  body.write(data)
  return Buffer.concat([header, body])
}

describe('a published .crate', () => {
  it('hashes every file below the <name>-<version>/ folder, long GNU names included', () => {
    const long = `src/${'deep/'.repeat(30)}mod.rs`
    const crate = gzipSync(
      Buffer.concat([
        entry('demo-0.1.0/Cargo.toml', '[package]'),
        entry('demo-0.1.0/src/lib.rs', 'pub fn a() {}'),
        entry('././@LongLink', `demo-0.1.0/${long}`, 'L'),
        entry('ignored', 'mod x;'),
        Buffer.alloc(1024)
      ])
    )
    expect(crateFileHashes(crate)).toEqual(
      new Map([
        ['Cargo.toml', sha('[package]')],
        ['src/lib.rs', sha('pub fn a() {}')],
        [long, sha('mod x;')]
      ])
    )
  })

  it("compares per file, leaving cargo's generated files aside", () => {
    const live = new Map([
      ['Cargo.toml', 'x'],
      ['Cargo.lock', 'x'],
      ['.cargo_vcs_info.json', 'x'],
      ['Cargo.toml.orig', 'm'],
      ['src/lib.rs', 'a'],
      ['src/old.rs', 'o']
    ])
    const local = new Map([
      ['Cargo.toml.orig', 'm'],
      ['src/lib.rs', 'b'],
      ['src/new.rs', 'n']
    ])
    expect(differingFiles(live, local)).toEqual(['src/lib.rs', 'src/new.rs', 'src/old.rs'])
    expect(differingFiles(new Map([['Cargo.toml', 'x']]), new Map())).toEqual([])
  })

  it("finds the download through config.json's dl as cargo does", () => {
    expect(downloadUrl('http://h/api/v1/crates/dl', 'demo', '0.1.0', 'c')).toBe(
      'http://h/api/v1/crates/dl/demo/0.1.0/download'
    )
    expect(downloadUrl('https://static.crates.io/crates', 'serde', '1.0.0', 'c')).toBe(
      'https://static.crates.io/crates/serde/1.0.0/download'
    )
    expect(
      downloadUrl(
        'https://h/{prefix}/{lowerprefix}/{crate}/{version}/{sha256-checksum}',
        'AbCd',
        '1.0.0',
        'ff'
      )
    ).toBe('https://h/Ab/Cd/ab/cd/AbCd/1.0.0/ff')
  })
})

describe("cargo's error for an in-workspace dependency looked up outside a private target", () => {
  const stderr =
    'error: failed to prepare local package for uploading\n\nCaused by:\n  failed to get `alpha-core` as a dependency of package `alpha-lib v0.3.1 (/ws/alpha-lib)`\n'
  const planned = [{ name: 'alpha-core' }, { name: 'alpha-lib' }]

  it('is permanent, with the registry-key fix', () => {
    const found = privateDependencyFailure(stderr, planned, { name: 'live', isCratesIo: false })
    expect(found?.hint).toContain('add `registry = "live"` to the alpha-core dependency')
    expect(found?.message).toContain(
      'failed to get `alpha-core` as a dependency of package `alpha-lib`'
    )
  })

  it('is not claimed for crates.io or for a crate outside the plan', () => {
    expect(
      privateDependencyFailure(stderr, planned, { name: 'crates-io', isCratesIo: true })
    ).toBeUndefined()
    expect(
      privateDependencyFailure(stderr, [{ name: 'other' }], { name: 'live', isCratesIo: false })
    ).toBeUndefined()
  })
})

describe('reading the live index on a machine that cannot resolve its host', () => {
  it('asks the resolver only until the host fails once: every crate is unknown, naming the host', async () => {
    const crates: PlannedCrate[] = Array.from({ length: 20 }, (_, i) => ({
      name: `c${i}`,
      version: '0.1.0',
      level: 0,
      manifestPath: `/ws/c${i}/Cargo.toml`,
      dependencies: [],
      bins: [],
      hasLib: true
    }))
    let asked = 0
    const unresolvable = (async () => {
      asked++
      await new Promise(resolve => setImmediate(resolve))
      const cause = Object.assign(new Error('getaddrinfo ENOTFOUND index.crates.io'), {
        code: 'ENOTFOUND',
        hostname: 'index.crates.io'
      })
      throw new TypeError('fetch failed', { cause })
    }) as unknown as typeof fetch
    const live = await compareLiveVersions(crates, {
      indexUrl: 'sparse+https://index.crates.io/',
      fetch: unresolvable,
      cargo: async () => ({ exitCode: 1, stdout: '', stderr: 'not called' }),
      env: {},
      workspaceRoot: '/ws'
    })
    // the reads already in flight when the first fails (4 at once), and none after
    expect(asked).toBeLessThanOrEqual(4)
    expect(new Set([...live.values()].map(v => JSON.stringify(v)))).toEqual(
      new Set([
        JSON.stringify({
          kind: 'unknown',
          reason:
            'its live index could not be read: cannot resolve index.crates.io (DNS; is this machine offline?)'
        })
      ])
    )
    expect(live.size).toBe(20)
  })
})
