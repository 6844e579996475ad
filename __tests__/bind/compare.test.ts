import { describe, expect, it } from '@jest/globals'
import { compareCrateFiles, entryDifference } from '../../src/bind/compare.js'

const crate = { name: 'a', version: '1.0.0' }
const sha = (c: string) => c.repeat(64)
const entries = [
  { path: 'Cargo.toml.orig', sha256: sha('1') },
  { path: 'src/lib.rs', sha256: sha('2') },
  { path: 'run.sh', sha256: sha('3'), mode: '755' as const },
  { path: 'Cargo.lock', sha256: sha('4') },
  { path: '<workspace>', sha256: sha('5') }
]
const files = [
  { path: 'Cargo.toml.orig', sha256: sha('1'), mode: '644' },
  { path: 'src/lib.rs', sha256: sha('2'), mode: '644' },
  { path: 'run.sh', sha256: sha('3'), mode: '755' },
  { path: 'Cargo.toml', sha256: sha('9'), mode: '644' },
  { path: 'Cargo.lock', sha256: sha('8'), mode: '644' },
  { path: '.cargo_vcs_info.json', sha256: sha('7'), mode: '644' }
]

describe('compareCrateFiles', () => {
  it('accepts a crate holding exactly the digest’s files, cargo’s own files aside', () => {
    expect(compareCrateFiles(crate, files, entries)).toBeUndefined()
  })

  it('names a file packaged but not digested, digested but not packaged, other bytes, other mode', () => {
    const extra = [...files, { path: '.shipper/events.jsonl', sha256: sha('6'), mode: '644' }]
    expect(compareCrateFiles(crate, extra, entries)).toMatchObject({
      file: '.shipper/events.jsonl',
      problem: 'is in the package but not in the content digest'
    })
    expect(compareCrateFiles(crate, files.slice(1), entries)?.file).toBe('Cargo.toml.orig')
    const edited = files.map(f => (f.path === 'src/lib.rs' ? { ...f, sha256: sha('0') } : f))
    expect(compareCrateFiles(crate, edited, entries)?.problem).toMatch(/other bytes/)
    const chmod = files.map(f => (f.path === 'run.sh' ? { ...f, mode: '644' } : f))
    expect(compareCrateFiles(crate, chmod, entries)?.problem).toBe(
      'has mode 644 in the package, 755 in the content digest'
    )
  })

  it('leaves the original manifest out when the rehearsal rewrote it', () => {
    const rewritten = files.map(f =>
      f.path === 'Cargo.toml.orig' ? { ...f, sha256: sha('0') } : f
    )
    expect(compareCrateFiles(crate, rewritten, entries, true)).toBeUndefined()
  })
})

describe('entryDifference', () => {
  it('names the first entry two digests disagree on, ignoring the given ones', () => {
    const moved = entries.map(e => (e.path === '<workspace>' ? { ...e, sha256: sha('0') } : e))
    expect(entryDifference(entries, moved)).toEqual({
      file: '<workspace>',
      problem: 'changed after the gate checked it'
    })
    expect(entryDifference(entries, moved, new Set(['<workspace>']))).toBeUndefined()
  })
})
