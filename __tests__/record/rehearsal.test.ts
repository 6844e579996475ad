import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeJsonAtomic } from '../../src/record/atomic.js'
import {
  parseRehearsal,
  readRehearsal,
  rehearsalSummaryFailed,
  rehearsalSummaryPassed,
  removeRehearsal,
  writeRehearsal,
  type RehearsalReceipt
} from '../../src/record/rehearsal.js'

const PLAN = '0123456789abcdef'.repeat(4)
const NINE = [
  'schema_version',
  'plan_id',
  'registry',
  'passed',
  'packages_attempted',
  'packages_published',
  'summary',
  'started_at',
  'completed_at'
]

/** What shipper itself writes: the nine fields, nothing else. */
function shipperReceipt(): Record<string, unknown> {
  return {
    schema_version: 'shipper.rehearsal.v1',
    plan_id: PLAN,
    registry: 'rehearsal',
    passed: true,
    packages_attempted: 2,
    packages_published: 2,
    summary: rehearsalSummaryPassed(2, 'rehearsal'),
    started_at: '2026-04-17T12:00:00.123456789+00:00',
    completed_at: '2026-04-17T12:01:00Z'
  }
}

/** Ours, with extras listed before the nine on purpose. */
function ourReceipt(): RehearsalReceipt {
  return {
    tool: { name: 'shipper-rehearse', version: '0.1.0' },
    packages: [
      {
        name: 'a',
        version: '0.1.0',
        cksum: 'c'.repeat(64),
        digest: 'd'.repeat(64),
        status: 'published',
        duration_ms: 10
      },
      {
        name: 'b',
        version: '0.1.0',
        cksum: null,
        digest: 'e'.repeat(64),
        status: 'published',
        duration_ms: 20
      }
    ],
    content_digest: 'f'.repeat(64),
    ...(shipperReceipt() as RehearsalReceipt),
    commit: 'abc123',
    custom_note: 'kept'
  }
}

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sr-rehearsal-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('rehearsal summaries', () => {
  it("use shipper's wording", () => {
    expect(rehearsalSummaryPassed(3, 'rehearsal')).toBe(
      "rehearsed 3 packages against 'rehearsal' successfully"
    )
    expect(rehearsalSummaryFailed(2, 3, 'b@0.1.0: could not compile')).toBe(
      'rehearsal stopped at 2/3: b@0.1.0: could not compile'
    )
  })
})

describe('writeRehearsal', () => {
  it('writes the nine shipper fields first, in order, then ours, then any others', async () => {
    await writeRehearsal(dir, ourReceipt())
    const keys = Object.keys(JSON.parse(await readFile(join(dir, 'rehearsal.json'), 'utf8')))
    expect(keys).toEqual([...NINE, 'content_digest', 'packages', 'commit', 'tool', 'custom_note'])
  })

  it('writes pretty JSON with two-space indentation', async () => {
    await writeRehearsal(dir, shipperReceipt() as RehearsalReceipt)
    const text = await readFile(join(dir, 'rehearsal.json'), 'utf8')
    expect(text.startsWith('{\n  "schema_version": "shipper.rehearsal.v1",\n  "plan_id": ')).toBe(
      true
    )
  })

  it('leaves no temp file behind and replaces an older receipt whole', async () => {
    await writeFile(join(dir, 'rehearsal.json'), JSON.stringify({ old: true }).repeat(1000))
    await writeRehearsal(dir, ourReceipt())
    expect(await readdir(dir)).toEqual(['rehearsal.json'])
    expect((await readRehearsal(dir)).kind).toBe('ok')
  })

  it('round-trips through readRehearsal, extras included', async () => {
    const receipt = ourReceipt()
    await writeRehearsal(dir, receipt)
    const read = await readRehearsal(dir)
    expect(read).toEqual({ kind: 'ok', receipt })
  })

  it('refuses to write an invalid receipt and keeps the previous one', async () => {
    await writeRehearsal(dir, ourReceipt())
    const before = await readFile(join(dir, 'rehearsal.json'), 'utf8')
    const bad = { ...ourReceipt(), plan_id: 'not-hex' }
    await expect(writeRehearsal(dir, bad)).rejects.toThrow(/plan_id/)
    expect(await readFile(join(dir, 'rehearsal.json'), 'utf8')).toBe(before)
  })

  it('creates the state dir when it does not exist', async () => {
    const stateDir = join(dir, 'ws', '.shipper')
    expect(await writeRehearsal(stateDir, ourReceipt())).toBe(join(stateDir, 'rehearsal.json'))
  })
})

describe('removeRehearsal', () => {
  it('removes the receipt and a leftover temp file, and is quiet when there is none', async () => {
    await writeRehearsal(dir, ourReceipt())
    await writeFile(join(dir, 'rehearsal.json.tmp'), '{')
    await removeRehearsal(dir)
    expect(await readdir(dir)).toEqual([])
    await removeRehearsal(dir)
    expect(await readRehearsal(dir)).toEqual({ kind: 'missing' })
  })
})

describe('readRehearsal', () => {
  const put = (value: unknown) => writeFile(join(dir, 'rehearsal.json'), JSON.stringify(value))

  it('reports a missing receipt as missing', async () => {
    expect(await readRehearsal(dir)).toEqual({ kind: 'missing' })
  })

  it('accepts a receipt written by shipper (nine fields, nanosecond +00:00 timestamps)', async () => {
    await put(shipperReceipt())
    const read = await readRehearsal(dir)
    expect(read.kind).toBe('ok')
    if (read.kind === 'ok') expect(read.receipt.content_digest).toBeUndefined()
  })

  it('rejects a file over 1 MiB as oversized without parsing it', async () => {
    await writeFile(join(dir, 'rehearsal.json'), ' '.repeat(1024 * 1024 + 1))
    const read = await readRehearsal(dir)
    expect(read).toEqual({
      kind: 'invalid',
      problem: expect.stringMatching(/^oversized: 1048577 bytes/)
    })
  })

  it('rejects a foreign schema and names the schema it found', async () => {
    await put({ ...shipperReceipt(), schema_version: 'shipper.receipt.v2' })
    const read = await readRehearsal(dir)
    expect(read).toEqual({
      kind: 'invalid',
      problem: `foreign schema: schema_version is "shipper.receipt.v2", expected 'shipper.rehearsal.v1'`
    })
  })

  it.each(NINE)('rejects a receipt missing %s and names it', async field => {
    const receipt = shipperReceipt()
    delete receipt[field]
    await put(receipt)
    expect(await readRehearsal(dir)).toEqual({
      kind: 'invalid',
      problem: `missing required field '${field}'`
    })
  })

  it('names every missing field at once', async () => {
    await put({ schema_version: 'shipper.rehearsal.v1', plan_id: PLAN })
    const read = await readRehearsal(dir)
    expect(read.kind === 'invalid' && read.problem).toBe(
      "missing required fields 'registry', 'passed', 'packages_attempted', 'packages_published', 'summary', 'started_at', 'completed_at'"
    )
  })

  it('rejects a field of the wrong type, naming the field', async () => {
    await put({ ...shipperReceipt(), passed: 'yes' })
    const read = await readRehearsal(dir)
    expect(read.kind === 'invalid' && read.problem).toMatch(/^field 'passed' is invalid/)
  })

  it('rejects a plan_id that is not 64 lowercase hex', async () => {
    await put({ ...shipperReceipt(), plan_id: PLAN.toUpperCase() })
    const read = await readRehearsal(dir)
    expect(read.kind === 'invalid' && read.problem).toMatch(
      /^field 'plan_id' is invalid: expected 64 lowercase hex/
    )
  })

  it('rejects text that is not JSON, or JSON that is not an object', async () => {
    await writeFile(join(dir, 'rehearsal.json'), '{"schema_version": ')
    expect((await readRehearsal(dir)).kind === 'invalid').toBe(true)
    expect(parseRehearsal('[1]')).toEqual({ kind: 'invalid', problem: 'not a JSON object' })
    expect(parseRehearsal('nope')).toEqual({
      kind: 'invalid',
      problem: expect.stringMatching(/^not valid JSON/)
    })
  })

  it('reports an unreadable path (a directory) as invalid, not missing', async () => {
    await mkdir(join(dir, 'rehearsal.json'))
    const read = await readRehearsal(dir)
    expect(read.kind).toBe('invalid')
  })
})

describe('writeJsonAtomic', () => {
  it('writes pretty JSON with a trailing newline, keeping the value key order', async () => {
    const path = join(dir, 'deep', 'x.json')
    await writeJsonAtomic(path, { z: 1, a: [true] })
    expect(await readFile(path, 'utf8')).toBe('{\n  "z": 1,\n  "a": [\n    true\n  ]\n}\n')
    expect(await readdir(join(dir, 'deep'))).toEqual(['x.json'])
  })
})
