import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { chmodSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Options } from '../../src/options/types.js'
import { publish } from '../../src/publish/index.js'
import type { RunResult } from '../../src/result.js'
import { RehearsedFixture, testContext } from '../publish/helpers.js'
import { writeFiles } from './bound.js'

/**
 * What the content digest and the proof bind, tried on the rehearsed publish fixture: each
 * change below alters what would be uploaded (or how its dependencies resolve, or which
 * toolchain builds it, or which proof vouches for it) and must be refused with nothing uploaded.
 */
let fixture: RehearsedFixture

beforeAll(async () => {
  fixture = await RehearsedFixture.create('sr-hard-binds-')
}, 120_000)

afterAll(async () => {
  await fixture?.close()
})

afterEach(async () => {
  const uploads = fixture.live.faults.uploads()
  await fixture.freshLive()
  expect(uploads).toEqual({})
})

async function refused(
  ws: string,
  overrides: Partial<Options> = {},
  env: Record<string, string> = {}
): Promise<NonNullable<RunResult['failure']>> {
  const result = await publish(
    fixture.options(ws, overrides),
    testContext({ ...fixture.env(), ...env })
  )
  expect(result.outcome).toBe('refused')
  expect(result.published).toEqual([])
  expect(result.failure?.message).not.toMatch(/\n|RangeError|at .*\.js:\d+/)
  return result.failure!
}

const SHIM = {
  'shim/Cargo.toml': '[package]\nname = "shim"\nversion = "1.0.0"\nedition = "2021"\n',
  'shim/src/lib.rs': ''
}

describe('the digest binds how dependencies resolve', () => {
  it('refuses a [patch] added to the root manifest', async () => {
    const ws = fixture.workspace()
    writeFiles(ws, SHIM)
    const root = join(ws, 'Cargo.toml')
    writeFileSync(
      root,
      `${readFileSync(root, 'utf8')}\n[patch.crates-io]\nshim = { path = "shim" }\n`
    )
    const failure = await refused(ws)
    expect(failure.message).toMatch(
      /sources changed since the rehearsal.*changed: shr-app, shr-core, shr-util/
    )
  })

  it('refuses a [patch] added in the workspace’s .cargo/config.toml', async () => {
    const ws = fixture.workspace()
    writeFiles(ws, {
      ...SHIM,
      '.cargo/config.toml': '[patch.crates-io]\nshim = { path = "shim" }\n'
    })
    const failure = await refused(ws)
    expect(failure.message).toMatch(/sources changed since the rehearsal/)
  })
})

describe('the digest binds each packaged file exactly', () => {
  it('refuses a file made executable, naming its crate', async () => {
    const ws = fixture.workspace()
    chmodSync(join(ws, 'core', 'src', 'lib.rs'), 0o755)
    const failure = await refused(ws)
    expect(failure.message).toMatch(/changed: shr-core$/)
  })
})

describe('the toolchain', () => {
  it('refuses a publish whose rustc is not the rehearsal’s, saying what differs', async () => {
    const ws = fixture.workspace()
    const wrapper = join(ws, '..', `rustc-nightly-${Date.now()}`)
    writeFileSync(
      wrapper,
      '#!/bin/sh\nif [ "$1" = "-vV" ]; then rustc -vV | sed "s/^release: .*/release: 9.99.0-nightly/"; else exec rustc "$@"; fi\n'
    )
    chmodSync(wrapper, 0o755)
    const failure = await refused(ws, {}, { RUSTC: wrapper })
    expect(failure.message).toMatch(
      /toolchain changed since the rehearsal: rustc -vV differs: .*release: 9\.99\.0-nightly/
    )
    expect(failure.hint).toMatch(/rust-toolchain\.toml/)
  })
})

describe('the proof', () => {
  const receiptPath = (ws: string) => join(ws, '.shipper', 'rehearsal.json')
  const eventsPath = (ws: string) => join(ws, '.shipper', 'events.jsonl')

  it('refuses a receipt stripped of its tool and its events.jsonl', async () => {
    const ws = fixture.workspace()
    const receipt = JSON.parse(readFileSync(receiptPath(ws), 'utf8')) as Record<string, unknown>
    delete receipt.tool
    writeFileSync(receiptPath(ws), JSON.stringify(receipt, null, 2))
    rmSync(eventsPath(ws))
    const failure = await refused(ws)
    expect(failure.message).toMatch(/events\.jsonl .* is missing|inconsistent|without|no events/i)
  })

  it('refuses a receipt with a key twice', async () => {
    const ws = fixture.workspace()
    const text = readFileSync(receiptPath(ws), 'utf8')
    writeFileSync(
      receiptPath(ws),
      text.replace('"passed": true', '"passed": false, "passed": true')
    )
    const failure = await refused(ws)
    expect(failure.message).toMatch(/invalid: duplicate key "passed"/)
  })

  it('refuses an event line with a key twice', async () => {
    const ws = fixture.workspace()
    const text = readFileSync(eventsPath(ws), 'utf8')
    const edited = text.replace('"passed":true', '"passed":false,"passed":true')
    expect(edited).not.toBe(text)
    writeFileSync(eventsPath(ws), edited)
    const failure = await refused(ws)
    expect(failure.message).toMatch(/a key twice in one object on line \d+/)
  })

  it('refuses an events.jsonl over the 64 MiB cap in one line', async () => {
    const ws = fixture.workspace()
    // Sparse: the size is what is refused, no disk is spent.
    truncateSync(eventsPath(ws), 64 * 1024 * 1024 + 1)
    const failure = await refused(ws)
    expect(failure.message).toMatch(/is 67108865 bytes, over the 67108864-byte limit/)
  })
})
