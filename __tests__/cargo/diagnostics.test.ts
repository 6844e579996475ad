import { describe, expect, it } from '@jest/globals'
import {
  anchorLocation,
  cargoEvidence,
  errorBlocks,
  firstCargoError,
  inCheckout
} from '../../src/cargo/diagnostics.js'

const BUILD_FAILURE = `   Packaging g-lib v0.1.0 (/s/ws/g-lib)
    Packaged 4 files, 1.1KiB (700B compressed)
   Verifying g-app v0.1.0 (/s/ws/g-app)
   Compiling g-lib v0.1.0
   Compiling g-app v0.1.0 (/s/ws/target/package/g-app-0.1.0)
error[E0425]: cannot find function \`extra\` in crate \`g_lib\`
 --> src/lib.rs:3:12
  |
3 |     g_lib::extra()
  |            ^^^^^ not found in \`g_lib\`
  |
note: found an item that was configured out
 --> /s/home/registry/src/g-lib-0.1.0/src/lib.rs:6:8

For more information about this error, try \`rustc --explain E0425\`.
error: could not compile \`g-app\` (lib) due to 1 previous error
   Packaging g-other v0.1.0 (/s/ws/g-other)
`

const MANIFEST_FAILURE = `error: failed to load manifest for workspace member \`/w/d-a\`
referenced by workspace at \`/w/Cargo.toml\`

Caused by:
  failed to parse manifest at \`/w/d-a/Cargo.toml\`

Caused by:
  TOML parse error at line 6, column 1
    |
  6 | license = "Apache-2.0"
    | ^
  duplicate key \`license\` in table \`package\`
`

describe('errorBlocks', () => {
  it("keeps rustc's block with its locations and notes, and cargo's own error, without the chatter", () => {
    const blocks = errorBlocks(BUILD_FAILURE)
    expect(blocks).toHaveLength(2)
    expect(blocks[0]).toMatch(/^error\[E0425\]/)
    expect(blocks[0]).toContain(' --> src/lib.rs:3:12')
    expect(blocks[0]).toContain('note: found an item that was configured out')
    expect(blocks[0]).not.toContain('rustc --explain')
    expect(blocks[1]).toBe('error: could not compile `g-app` (lib) due to 1 previous error')
  })

  it("keeps cargo's Caused by: chain inside one block", () => {
    expect(errorBlocks(MANIFEST_FAILURE)).toEqual([MANIFEST_FAILURE.trimEnd()])
  })
})

describe('cargoEvidence', () => {
  it('is the error blocks when there are some', () => {
    const evidence = cargoEvidence(BUILD_FAILURE)
    expect(evidence).toContain('error[E0425]')
    expect(evidence).not.toContain('Packaging')
  })

  it('is the last lines when cargo printed no error block', () => {
    expect(cargoEvidence('a\nb\nc\nthread main panicked\n', 2)).toBe('c\nthread main panicked')
  })

  it('stays bounded, saying how much the cargo log holds beyond it', () => {
    const many = Array.from({ length: 50 }, (_, i) => `error: e${i}\n  detail ${i}`).join('\n')
    const evidence = cargoEvidence(many).split('\n')
    expect(evidence).toHaveLength(81)
    expect(evidence[0]).toBe('error: e0')
    expect(evidence.at(-1)).toMatch(/^… \(\d+ more lines in the cargo log\)$/)
  })
})

describe('firstCargoError', () => {
  it("names rustc's error code and location", () => {
    expect(firstCargoError(BUILD_FAILURE)).toBe(
      'E0425: cannot find function `extra` in crate `g_lib` (src/lib.rs:3:12)'
    )
  })

  it('turns a TOML parse error into path:line:column and what TOML said', () => {
    expect(firstCargoError(MANIFEST_FAILURE)).toBe(
      '/w/d-a/Cargo.toml:6:1: duplicate key `license` in table `package`'
    )
  })

  it("joins cargo's error with its first cause", () => {
    expect(
      firstCargoError('error: failed to publish\n\nCaused by:\n  the registry said no\n')
    ).toBe('failed to publish: the registry said no')
  })

  it('is undefined without an error line', () => {
    expect(firstCargoError('warning: x\n')).toBeUndefined()
  })
})

describe('inCheckout', () => {
  it('names files in the checkout instead of the scratch copy', () => {
    expect(
      inCheckout('at `/tmp/sr-1/workspace/a/Cargo.toml`', '/tmp/sr-1/workspace', '/home/u/ws')
    ).toBe('at `/home/u/ws/a/Cargo.toml`')
    expect(inCheckout('x', undefined, '/home/u/ws')).toBe('x')
  })
})

describe('anchorLocation', () => {
  const files = new Set(['/w/g-app/src/lib.rs', '/w/src/main.rs'])
  const isFile = (p: string) => files.has(p)

  it("points a verify build's crate-relative location at the checkout's file", () => {
    expect(anchorLocation('E0425: x (src/lib.rs:3:12)', '/w/g-app', '/w', isFile)).toBe(
      'E0425: x (g-app/src/lib.rs:3:12)'
    )
  })

  it('leaves a location that already names a checkout file, or no file at all', () => {
    expect(anchorLocation('E1: x (src/main.rs:1:1)', '/w/g-app', '/w', isFile)).toBe(
      'E1: x (src/main.rs:1:1)'
    )
    expect(anchorLocation('E1: x (gone.rs:1:1)', '/w/g-app', '/w', isFile)).toBe(
      'E1: x (gone.rs:1:1)'
    )
    expect(anchorLocation('E1: x (/abs/a.rs:1:1)', '/w/g-app', '/w', isFile)).toBe(
      'E1: x (/abs/a.rs:1:1)'
    )
  })
})
