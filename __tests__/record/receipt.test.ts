import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readReceipt, writeReceipt, type PublishReceipt } from '../../src/record/receipt.js'

function receipt(): PublishReceipt {
  return {
    schema_version: 'shipper-rehearse.receipt.v1',
    plan_id: 'a'.repeat(64),
    registry: 'crates-io',
    content_digest: 'b'.repeat(64),
    started_at: '2026-04-17T12:00:00.000Z',
    completed_at: '2026-04-17T12:05:00.000Z',
    result: 'partial_failure',
    packages: [
      { name: 'a', version: '0.1.0', state: 'published', attempts: 2, duration_ms: 900 },
      {
        name: 'b',
        version: '0.1.0',
        state: 'failed',
        attempts: 1,
        duration_ms: 50,
        error: { class: 'permanent', message: 'the registry rejected token cio_LIVE' }
      },
      { name: 'c', version: '0.1.0', state: 'pending', attempts: 0, duration_ms: 0 }
    ],
    gate: { decision: 'proceed', reason: 'rehearsal accepted', bypassed: false },
    tool: { name: 'shipper-rehearse', version: '0.1.0' }
  }
}

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sr-receipt-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('publish receipt', () => {
  it("round-trips through publish-record.json, not shipper's receipt.json", async () => {
    const path = await writeReceipt(dir, receipt())
    expect(path).toBe(join(dir, 'publish-record.json'))
    expect(await readReceipt(dir)).toEqual({ kind: 'ok', receipt: receipt() })
  })

  it('writes keys in schema order whatever order the caller used, and no temp file', async () => {
    const scrambled = Object.fromEntries(Object.entries(receipt()).reverse()) as PublishReceipt
    await writeReceipt(dir, scrambled)
    const text = await readFile(join(dir, 'publish-record.json'), 'utf8')
    expect(Object.keys(JSON.parse(text))).toEqual([
      'schema_version',
      'plan_id',
      'registry',
      'content_digest',
      'started_at',
      'completed_at',
      'result',
      'packages',
      'gate',
      'tool'
    ])
    expect(text).toMatch(/^\{\n {2}"schema_version"/)
    expect(await readdir(dir)).toEqual(['publish-record.json'])
  })

  it('masks secrets in error messages before they reach the file', async () => {
    await writeReceipt(dir, receipt(), ['cio_LIVE'])
    const text = await readFile(join(dir, 'publish-record.json'), 'utf8')
    expect(text).not.toContain('cio_LIVE')
    expect(text).toContain('the registry rejected token ***')
  })

  it('refuses an unknown result or package state', async () => {
    await expect(writeReceipt(dir, { ...receipt(), result: 'mostly' as never })).rejects.toThrow(
      /result/
    )
    const pkg = { ...receipt().packages[0]!, state: 'uploaded' as never }
    await expect(writeReceipt(dir, { ...receipt(), packages: [pkg] })).rejects.toThrow(/state/)
  })

  it('reads missing, foreign and malformed receipts as such', async () => {
    expect(await readReceipt(dir)).toEqual({ kind: 'missing' })
    await writeFile(
      join(dir, 'publish-record.json'),
      JSON.stringify({ ...receipt(), schema_version: 'shipper.rehearsal.v1' })
    )
    expect(await readReceipt(dir)).toEqual({
      kind: 'invalid',
      problem: `foreign schema: schema_version is "shipper.rehearsal.v1", expected 'shipper-rehearse.receipt.v1'`
    })
    const { gate: _gate, ...noGate } = receipt()
    await writeFile(join(dir, 'publish-record.json'), JSON.stringify(noGate))
    const read = await readReceipt(dir)
    expect(read.kind === 'invalid' && read.problem).toMatch(/^field 'gate' is invalid/)
  })
})
