import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { memoryLogger } from '../../src/log.js'
import type { Plan } from '../../src/plan/types.js'
import { obtainProof } from '../../src/publish/proof.js'
import type { CrateStatus } from '../../src/engine/status.js'
import { buildReceipt, executionResult } from '../../src/publish/record.js'
import { uploadRecord } from '../../src/record/artifacts.js'
import { publishReceiptSchema } from '../../src/record/receipt.js'
import { MemoryArtifacts } from './helpers.js'

const FILES = ['rehearsal.json', 'events.jsonl', 'rehearse-events.jsonl', 'publish-record.json']
let dir: string
let stateDir: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sr-proof-'))
  stateDir = join(dir, '.shipper')
  mkdirSync(stateDir)
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const request = (overrides: Partial<Parameters<typeof obtainProof>[0]> = {}) => ({
  artifactName: 'shipper-rehearsal',
  rehearsalRunId: undefined,
  githubToken: 'gh',
  stateDir,
  manifestPath: join(dir, 'Cargo.toml'),
  env: { GITHUB_REPOSITORY: 'octo/widgets', GITHUB_RUN_ID: '100' },
  ...overrides
})

describe('obtainProof', () => {
  it('uses the state dir as it is without an artifact service', async () => {
    writeFileSync(join(stateDir, 'rehearsal.json'), '{}')
    const proof = await obtainProof(request(), undefined)
    expect(proof).toMatchObject({ receiptPath: join(stateDir, 'rehearsal.json'), missing: false })
    expect(proof.howToRehearse).toMatch(/shipper-rehearse rehearse --manifest-path/)
    expect(existsSync(join(stateDir, 'rehearsal.json'))).toBe(true)
  })

  it('replaces local proof files by the current run’s artifact', async () => {
    writeFileSync(join(stateDir, 'rehearsal.json'), 'stale')
    writeFileSync(join(stateDir, 'events.jsonl'), 'stale\n')
    const source = join(dir, 'artifact')
    mkdirSync(source)
    writeFileSync(join(source, 'rehearsal.json'), 'fresh')
    const store = new MemoryArtifacts()
    store.put('shipper-rehearsal', source, ['rehearsal.json'])
    const proof = await obtainProof(request(), store)
    expect(proof).toMatchObject({ missing: false, artifact: { id: 42, name: 'shipper-rehearsal' } })
    expect(proof.receiptPath).toContain(
      "artifact 'shipper-rehearsal' of the current run (100 of octo/widgets)"
    )
    expect(readFileSync(join(stateDir, 'rehearsal.json'), 'utf8')).toBe('fresh')
    // The artifact had no events.jsonl: the stale local one must not be read as if it did.
    expect(existsSync(join(stateDir, 'events.jsonl'))).toBe(false)
  })

  it('names the run and the artifact it looked for when the artifact is missing', async () => {
    const proof = await obtainProof(request({ rehearsalRunId: 9 }), new MemoryArtifacts())
    expect(proof).toMatchObject({
      missing: true,
      receiptPath: "artifact 'shipper-rehearsal' of run 9 of octo/widgets"
    })
    expect(proof.howToRehearse).toMatch(/run 9/)
  })

  it('says the proof could not be fetched when the artifact service fails, keeping no stale copy', async () => {
    writeFileSync(join(stateDir, 'rehearsal.json'), 'stale')
    const failing = new MemoryArtifacts()
    failing.download = async () => {
      throw new Error('Failed to ListArtifacts: Received non-retryable error: (404) Not Found')
    }
    const proof = await obtainProof(request(), failing)
    expect(proof).toMatchObject({
      missing: true,
      unavailable: 'Failed to ListArtifacts: Received non-retryable error: (404) Not Found'
    })
    expect(existsSync(join(stateDir, 'rehearsal.json'))).toBe(false)
  })
})

const plan: Plan = {
  planId: 'a'.repeat(64),
  registry: 'live',
  apiBase: 'http://127.0.0.1:1',
  workspaceRoot: '/ws',
  shipperOrder: [],
  devOnlySelection: [],
  packages: [],
  levels: [],
  skipped: [],
  droppedDevEdges: []
}

function record(
  name: string,
  status: CrateStatus['status'],
  extra: Partial<CrateStatus> = {}
): CrateStatus {
  return { name, version: '1.0.0', level: 0, status, attempts: 1, durationMs: 12.6, ...extra }
}

describe('the publish record', () => {
  it('calls a failure partial once anything of the plan is in the registry', () => {
    expect(executionResult([record('a', 'published')], false)).toBe('success')
    expect(executionResult([record('a', 'skipped'), record('b', 'failed')], true)).toBe(
      'partial_failure'
    )
    expect(executionResult([record('a', 'failed'), record('b', 'pending')], true)).toBe(
      'complete_failure'
    )
  })

  it('builds a receipt that satisfies the receipt schema', () => {
    const receipt = buildReceipt({
      plan,
      digest: { digest: 'b'.repeat(64), perCrate: {} },
      startedAt: '2026-01-01T00:00:00.000Z',
      completedAt: '2026-01-01T00:01:00.000Z',
      result: 'partial_failure',
      records: [
        record('a', 'published'),
        record('b', 'failed', {
          failure: { class: 'permanent', message: 'HTTP 400', stderrTail: 'not in the receipt' }
        }),
        record('c', 'dry-run')
      ],
      gate: { decision: 'proceed', reason: 'accepted', bypassed: false }
    })
    expect(publishReceiptSchema.parse(receipt)).toEqual(receipt)
    expect(receipt.packages.map(p => [p.name, p.state, p.duration_ms])).toEqual([
      ['a', 'published', 13],
      ['b', 'failed', 13],
      ['c', 'dry_run', 13]
    ])
    expect(receipt.packages[1]?.error).toEqual({ class: 'permanent', message: 'HTTP 400' })
  })

  it('skips the artifact upload with one warning where there is no artifact service', async () => {
    const logger = memoryLogger()
    expect(
      await uploadRecord(undefined, { name: 'x-publish', stateDir, files: FILES }, logger)
    ).toEqual({ kind: 'none' })
    expect(logger.lines).toEqual([
      expect.stringMatching(/^warning: artifact: the Actions artifact service is not available/)
    ])
  })

  it('uploads only the record files that exist, relative to the state dir', async () => {
    writeFileSync(join(stateDir, 'events.jsonl'), '{}\n')
    writeFileSync(join(stateDir, 'rehearse-events.jsonl'), '{}\n')
    writeFileSync(join(stateDir, 'publish-record.json'), '{}')
    writeFileSync(join(stateDir, 'receipt.json'), '{}')
    const store = new MemoryArtifacts()
    const id = await uploadRecord(
      store,
      { name: 'x-publish', stateDir, files: FILES, retentionDays: 3 },
      memoryLogger()
    )
    expect(id).toEqual({ kind: 'uploaded', id: 1001 })
    // shipper's own receipt.json in the same state dir is not ours to upload.
    expect([...store.uploaded[0]!.files.keys()].sort()).toEqual([
      'events.jsonl',
      'publish-record.json',
      'rehearse-events.jsonl'
    ])
  })

  it('returns a refused upload to the caller, which decides what it means', async () => {
    writeFileSync(join(stateDir, 'events.jsonl'), '{}\n')
    const store = new MemoryArtifacts()
    store.upload = () => Promise.reject(new Error('storage quota hit'))
    const logger = memoryLogger()
    expect(
      await uploadRecord(store, { name: 'x-publish', stateDir, files: FILES }, logger)
    ).toEqual({ kind: 'failed', cause: 'storage quota hit' })
    expect(logger.lines).toEqual([])
  })
})
