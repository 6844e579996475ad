import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  artifactStoreFrom,
  type ArtifactClientLike,
  type FindBy
} from '../../src/github/artifact.js'
import type { Options } from '../../src/options/types.js'
import { publish } from '../../src/publish/index.js'
import { startRegistry } from '../../src/registry/index.js'
import { rehearse } from '../../src/rehearse/index.js'
import type { RunResult } from '../../src/result.js'
import { errorCommands, runAction, stackLines } from '../helpers/action.js'
import { RehearsedFixture, testContext } from '../publish/helpers.js'

/**
 * Attempts to get past the publish gate with a proof that does not prove this release. Each one
 * must be refused with a reason naming what is wrong, and nothing may reach the live registry.
 */
let fixture: RehearsedFixture
/** A copy of the fixture rehearsed with a failure: its receipt says passed: false. */
let failedRehearsal: string

beforeAll(async () => {
  fixture = await RehearsedFixture.create('sr-hard-gate-')
  const registry = await startRegistry()
  try {
    failedRehearsal = fixture.workspace()
    registry.faults.failPublish('shr-app', {
      times: 1,
      status: 400,
      body: { errors: [{ detail: 'missing or empty metadata fields: readme' }] }
    })
    const result = await rehearse(
      fixture.options(failedRehearsal, {
        mode: 'rehearse',
        registryUrl: registry.url,
        registryToken: registry.token
      }),
      testContext(fixture.env())
    )
    if (result.outcome !== 'failed') throw new Error('the failing rehearsal passed')
  } finally {
    await registry.close()
  }
}, 120_000)

afterAll(async () => {
  await fixture?.close()
})

afterEach(async () => {
  const uploads = fixture.live.faults.uploads()
  await fixture.freshLive()
  expect(uploads).toEqual({})
})

const receiptPath = (ws: string) => join(ws, '.shipper', 'rehearsal.json')
const eventsPath = (ws: string) => join(ws, '.shipper', 'events.jsonl')

function editReceipt(ws: string, change: (r: Record<string, unknown>) => void): void {
  const receipt = JSON.parse(readFileSync(receiptPath(ws), 'utf8')) as Record<string, unknown>
  change(receipt)
  writeFileSync(receiptPath(ws), `${JSON.stringify(receipt, null, 2)}\n`)
}

async function refused(
  ws: string,
  overrides: Partial<Options> = {},
  deps: Parameters<typeof publish>[2] = {}
): Promise<NonNullable<RunResult['failure']>> {
  const result = await publish(fixture.options(ws, overrides), testContext(fixture.env()), deps)
  expect(result.outcome).toBe('refused')
  expect(result.published).toEqual([])
  expect(result.failure?.class).toBe('refused')
  expect(result.failure?.hint).toBeTruthy()
  return result.failure!
}

/** The failed rehearsal's state dir in a fresh copy of the (unchanged) workspace. */
function withFailedProof(): string {
  const ws = fixture.workspace()
  rmSync(join(ws, '.shipper'), { recursive: true })
  cpSync(join(failedRehearsal, '.shipper'), join(ws, '.shipper'), { recursive: true })
  return ws
}

describe('a receipt flipped to passed: true', () => {
  it('is refused when its events say the rehearsal failed', async () => {
    const ws = withFailedProof()
    editReceipt(ws, r => (r.passed = true))
    const failure = await refused(ws)
    expect(failure.message).toMatch(
      /the receipt says passed=true .* but the last rehearsal_complete event .* says passed=false/
    )
  })

  it('is refused when its summary was rewritten to shipper’s passing wording too', async () => {
    const ws = withFailedProof()
    editReceipt(ws, r => {
      r.passed = true
      r.summary = "rehearsed 3 packages against 'rehearsal' successfully"
      delete r.failure
    })
    const failure = await refused(ws)
    expect(failure.message).toMatch(/passed=false/)
  })

  // Gate hardening (reported): with the event log gone the flipped receipt is judged alone, and
  // its own records still say the rehearsal failed (2 of 3 published, shr-app failed).
  it('is refused when the event log that would contradict it is deleted', async () => {
    const ws = withFailedProof()
    editReceipt(ws, r => (r.passed = true))
    rmSync(eventsPath(ws))
    const failure = await refused(ws)
    expect(failure.message).toMatch(/shr-app|packages_published|2\/3|inconsistent/)
  })
})

describe('a receipt from another plan', () => {
  it('is refused as stale, showing both plan_ids', async () => {
    const ws = fixture.workspace()
    const manifest = join(ws, 'app', 'Cargo.toml')
    writeFileSync(
      manifest,
      readFileSync(manifest, 'utf8').replace('version.workspace = true', 'version = "0.2.0"')
    )
    const old = (JSON.parse(readFileSync(receiptPath(ws), 'utf8')) as { plan_id: string }).plan_id
    const failure = await refused(ws)
    expect(failure.message).toMatch(/rehearsal receipt is stale/)
    expect(failure.message).toContain(old)
  })

  it('is refused when its plan_id was rewritten to the current one (bind: plan)', async () => {
    const ws = fixture.workspace()
    const manifest = join(ws, 'app', 'Cargo.toml')
    writeFileSync(
      manifest,
      readFileSync(manifest, 'utf8').replace('version.workspace = true', 'version = "0.2.0"')
    )
    const current = (
      await publish(fixture.options(ws, { bind: 'plan' }), testContext(fixture.env()))
    ).plan!.planId
    await fixture.freshLive()
    let rehearsed = ''
    editReceipt(ws, r => {
      rehearsed = r.plan_id as string
      r.plan_id = current
    })
    const failure = await refused(ws, { bind: 'plan' })
    expect(failure.message).toMatch(/^publish refused: the receipt says passed=true for plan_id/)
    expect(failure.message).toContain(`rehearsal_complete event`)
    expect(failure.message).toContain(`says passed=true for plan_id ${rehearsed}`)
    expect(failure.message).toContain(current)
  })

  it('is refused when it is the passing receipt of a different target registry', async () => {
    const ws = fixture.workspace()
    const other = await startRegistry()
    try {
      // Same crates, same versions, same sources: only the live registry differs.
      const failure = await refused(ws, { targetRegistryUrl: other.url })
      expect(failure.message).toMatch(/stale/)
    } finally {
      await other.close()
    }
  })
})

describe('a receipt for the same plan_id with different sources', () => {
  it('is refused under bind: content, naming the crate whose sources changed', async () => {
    const ws = fixture.workspace()
    writeFileSync(join(ws, 'util', 'src', 'lib.rs'), 'pub fn util() -> u32 { 3 }\n')
    const failure = await refused(ws)
    expect(failure.message).toMatch(/sources changed since the rehearsal/)
    expect(failure.message).toMatch(/changed: shr-util$/)
  })

  it('is refused when the content digest was stripped to make it look plan-only', async () => {
    const ws = fixture.workspace()
    writeFileSync(join(ws, 'util', 'src', 'lib.rs'), 'pub fn util() -> u32 { 3 }\n')
    editReceipt(ws, r => {
      delete r.content_digest
      delete r.packages
    })
    const failure = await refused(ws)
    expect(failure.message).toMatch(/records no content_digest/)
  })

  it('is refused when a source file was added to a crate', async () => {
    const ws = fixture.workspace()
    writeFileSync(join(ws, 'core', 'src', 'extra.rs'), 'pub const X: u8 = 1;\n')
    const failure = await refused(ws)
    expect(failure.message).toMatch(/changed: shr-core$/)
  })
})

describe('rehearsal-run-id pointing at another repository', () => {
  /** The artifact API: the proof exists only in a fork's run 123, never in this repository. */
  function clientWithForeignArtifact(seen: FindBy[]): ArtifactClientLike {
    const notFound = () =>
      Object.assign(new Error('Artifact not found'), { name: 'ArtifactNotFoundError' })
    return {
      async uploadArtifact() {
        return { id: 1 }
      },
      async getArtifact(name, options) {
        if (options?.findBy) seen.push(options.findBy)
        const by = options?.findBy
        if (by?.repositoryOwner === 'evil' && by.workflowRunId === 123)
          return { artifact: { id: 9, name } }
        throw notFound()
      },
      async downloadArtifact() {
        throw new Error('nothing may be downloaded from another repository')
      },
      async deleteArtifact() {
        throw notFound()
      }
    }
  }

  it('only ever looks in GITHUB_REPOSITORY, so a fork’s run is "no receipt"', async () => {
    const ws = fixture.workspace()
    const seen: FindBy[] = []
    const artifacts = artifactStoreFrom(clientWithForeignArtifact(seen), {
      GITHUB_REPOSITORY: 'acme/widgets'
    })
    const failure = await refused(
      ws,
      { rehearsalRunId: 123, githubToken: 'gh-token' },
      { artifacts }
    )
    expect(failure.message).toMatch(
      /no rehearsal receipt at artifact 'shipper-rehearsal' of run 123/
    )
    expect(seen).toEqual([
      {
        token: 'gh-token',
        workflowRunId: 123,
        repositoryOwner: 'acme',
        repositoryName: 'widgets'
      }
    ])
  })

  it.each(['https://github.com/evil/fork/actions/runs/123', 'evil/fork/123', '123@evil/fork'])(
    'rejects %s as an input error (exit 2), uploading nothing',
    async runId => {
      const ws = fixture.workspace()
      const run = await runAction(
        fixture.sandbox,
        ws,
        {
          mode: 'publish',
          'rehearsal-run-id': runId,
          'target-registry': 'live',
          'target-registry-url': fixture.live.url,
          token: fixture.live.token,
          cache: 'false'
        },
        fixture.env()
      )
      expect(run.code).toBe(2)
      const errors = errorCommands(run.stdout)
      expect(errors).toHaveLength(1)
      expect(errors[0]).toMatch(
        /`rehearsal-run-id` has an invalid value .*\(hint: allowed: a whole number/
      )
      expect(stackLines(run.stdout + run.stderr)).toEqual([])
    }
  )
})
