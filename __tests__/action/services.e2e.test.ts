import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { encodePublishBody, startRegistry } from '../../src/registry/index.js'
import type { EmbeddedRegistry } from '../../src/registry/types.js'
import { runActionJob, withoutMaskCommands, type StepRun } from '../helpers/action.js'
import { GitHubStandIn, OIDC_ISSUER, type Job, type WorkflowRun } from '../helpers/github/index.js'
import { zipEntries } from '../helpers/github/zip.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'
import { seedOlderVersion } from '../publish/helpers.js'

/**
 * The bundles (`dist/index.js`, then `dist/post.js`) run as the runner runs them, against local
 * stand-ins of GitHub's services that speak their real protocols: @actions/artifact and
 * @actions/cache talk Twirp to the results service and move blobs through azurite, cross-run
 * downloads and commit statuses go through the REST API, trusted publishing asks the OIDC
 * endpoint. Real cargo publishes a three-crate workspace to embedded registries. The tests follow
 * one release, in order: rehearse, re-run, publish from the same run, then from other runs.
 */
// Its manifests name the live registry (`registry = "live"`), as a workspace publishing anywhere
// but crates.io must.
const WORKSPACE = resolve('__tests__/fixtures/publish/live-ws')
const CRATES = ['shr-core', 'shr-util', 'shr-app']
const ARTIFACT = 'shipper-rehearsal'

// A step takes a few seconds (cargo, node start-up, azurite); a loaded 2-core machine may need
// several times that.
jest.setTimeout(60_000)

let sandbox: CargoSandbox
let github: GitHubStandIn
let live: EmbeddedRegistry
/** The run that rehearses; later tests publish from it. */
let rehearsal: WorkflowRun
let firstArtifactId = 0

function step(job: Job, inputs: Record<string, string>, workspace?: string) {
  const ws = workspace ?? sandbox.copyFixture(WORKSPACE)
  const all = { 'target-registry': 'live', 'target-registry-url': live.url, ...inputs }
  return runActionJob(sandbox, ws, all, {
    env: { ...github.runnerEnv(job), CARGO_REGISTRIES_LIVE_INDEX: live.indexUrl },
    githubToken: github.githubToken(job.repository)
  }).then(run => ({ ...run, ws }))
}

const commands = (run: StepRun, kind: 'warning' | 'error') =>
  run.stdout.split('\n').filter(line => line.startsWith(`::${kind}`))

/** The rehearsal artifacts of a run (a publish job adds a record artifact of its own). */
function artifactsOf(run: WorkflowRun) {
  return github.results.artifacts.filter(
    a => a.runBackendId === run.runBackendId && a.name === ARTIFACT
  )
}

function operations(from: { operation: string }[], since: number): string[] {
  return from.slice(since).map(c => c.operation)
}

beforeAll(async () => {
  sandbox = cargoSandbox('sr-services-')
  github = await GitHubStandIn.start()
  live = await startRegistry({
    strict: true,
    trustedPublishing: { issuer: OIDC_ISSUER, secret: github.oidc.secret, audience: '127.0.0.1' }
  })
  for (const name of CRATES) await seedOlderVersion(live, name)
  rehearsal = github.newRun()
}, 60_000)

afterEach(() => {
  github.results.faults.clear()
  github.api.faults.clear()
})

afterAll(async () => {
  await live?.close()
  await github?.close()
  sandbox?.cleanup()
})

describe('rehearse mode in a workflow run', () => {
  it('uploads the record files (and the cargo log) as the artifact of artifact-id, restores the cache in main and saves it in post, and posts pending then success', async () => {
    const calls = github.results.calls.length
    const { main, post } = await step(github.job(rehearsal), {
      'status-check': 'true',
      'retention-days': '3'
    })
    expect(main.stderr).toBe('')
    expect(main.code).toBe(0)
    expect(main.outputs.outcome).toBe('passed')

    const [artifact, ...others] = artifactsOf(rehearsal)
    expect(others).toEqual([])
    expect(artifact).toMatchObject({ name: ARTIFACT, finalized: true })
    expect(main.outputs['artifact-id']).toBe(String(artifact!.id))
    firstArtifactId = artifact!.id
    const zip = await github.storage.read('actions-results', artifact!.blob)
    expect(zipEntries(zip!).sort()).toEqual(['cargo.log', 'events.jsonl', 'rehearsal.json'])
    const days = (artifact!.expiresAt!.getTime() - artifact!.createdAt.getTime()) / 86_400_000
    expect(Math.round(days)).toBe(3)

    // The key as the README documents it, handed from main to post through GITHUB_STATE.
    const key = main.state['cache-key'] ?? ''
    expect(key).toMatch(/^shipper-rehearse-v1-linux-x64-[0-9a-f]{16}-[0-9a-f]{16}$/)
    expect(main.state['cache-matched-key']).toBeUndefined()
    expect(post.code).toBe(0)
    expect(commands(post, 'warning')).toEqual([])
    expect(operations(github.results.calls, calls)).toEqual([
      'GetCacheEntryDownloadURL',
      'ListArtifacts',
      'CreateArtifact',
      'FinalizeArtifact',
      'CreateCacheEntry',
      'FinalizeCacheEntryUpload'
    ])
    expect(github.results.cacheEntries).toEqual([
      expect.objectContaining({ key, repository: 'octo/widgets', finalized: true })
    ])

    expect(github.api.statuses.map(s => [s.state, s.context, s.sha])).toEqual([
      ['pending', 'shipper/rehearsal', 'a'.repeat(40)],
      ['success', 'shipper/rehearsal', 'a'.repeat(40)]
    ])
  })

  it('replaces the artifact on a re-run attempt, restores the exact cache hit without saving it again, and warns when statuses are forbidden', async () => {
    github.api.faults.inject('create-status', {
      status: 403,
      message: 'Resource not accessible by integration'
    })
    const statuses = github.api.statuses.length
    const calls = github.results.calls.length
    const { main, post } = await step(github.job(rehearsal, 2), { 'status-check': 'true' })
    expect(main.code).toBe(0)
    expect(main.outputs.outcome).toBe('passed')

    const [artifact, ...others] = artifactsOf(rehearsal)
    expect(others).toEqual([])
    expect(artifact!.id).not.toBe(firstArtifactId)
    expect(main.outputs['artifact-id']).toBe(String(artifact!.id))

    expect(main.state['cache-matched-key']).toBe(main.state['cache-key'])
    expect(main.stdout).toContain(`cache: restored ${main.state['cache-key']}\n`)
    expect(post.stdout).toMatch(/exact hit .*not saving/)
    expect(operations(github.results.calls, calls)).toEqual([
      'GetCacheEntryDownloadURL',
      'ListArtifacts',
      'DeleteArtifact',
      'CreateArtifact',
      'FinalizeArtifact'
    ])

    expect(github.api.statuses.length).toBe(statuses)
    const warnings = commands(main, 'warning').filter(w => w.includes('commit status'))
    expect(warnings).toHaveLength(2)
    expect(warnings[0]).toMatch(/HTTP 403.*statuses: write/)
    expect(withoutMaskCommands(main.stdout)).not.toContain(github.githubToken())
  })
  it('restores a partial match by its restore key after the plan changed, and saves under the new key', async () => {
    const ws = sandbox.copyFixture(WORKSPACE)
    const manifest = join(ws, 'Cargo.toml')
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replaceAll('0.1.0', '0.1.1'))
    const before = github.results.cacheEntries.map(e => e.key)
    const { main, post } = await step(github.job(github.newRun()), {}, ws)
    expect(main.code).toBe(0)
    const key = main.state['cache-key'] ?? ''
    const matched = main.state['cache-matched-key'] ?? ''
    expect(before).toEqual([matched])
    expect(key).not.toBe(matched)
    // Same OS and toolchain, other content: the restore key is everything but the last part.
    expect(key.slice(0, key.lastIndexOf('-'))).toBe(matched.slice(0, matched.lastIndexOf('-')))
    expect(post.code).toBe(0)
    expect(github.results.cacheEntries.map(e => e.key)).toEqual([matched, key])
  })
})

describe('publish mode', () => {
  it('publishes from the same run: the proof lands in a state dir that did not exist, and a trusted-publishing token is minted, used and revoked', async () => {
    const ws = sandbox.copyFixture(WORKSPACE)
    expect(existsSync(join(ws, '.shipper'))).toBe(false)
    const { main } = await step(github.job(rehearsal, 3), { mode: 'publish' }, ws)
    expect(main.code).toBe(0)
    expect(main.outputs.outcome).toBe('published')
    expect(JSON.parse(main.outputs.published ?? '[]')).toEqual(
      CRATES.map(name => ({ name, version: '0.1.0' }))
    )
    expect(readFileSync(join(ws, '.shipper', 'rehearsal.json'), 'utf8')).toContain(
      main.outputs['plan-id']
    )
    expect(github.oidc.audiences).toEqual(['127.0.0.1'])
    // Every secret is masked: the minted tokens are the masked `cio_tp_` values.
    const minted = [...new Set(main.stdout.match(/(?<=^::add-mask::)cio_tp_\w+$/gm))]
    expect(minted).toHaveLength(1)
    // Revoked at the end of the run: the token no longer publishes.
    const reuse = await fetch(`${live.url}/api/v1/crates/new`, {
      method: 'PUT',
      headers: { authorization: minted[0]! },
      body: encodePublishBody(
        { name: 'shr-core', vers: '0.2.0', deps: [], features: {} },
        Buffer.from('x')
      )
    })
    expect(reuse.status).toBe(403)
  })

  it('downloads another run’s artifact through the REST API with rehearsal-run-id', async () => {
    const calls = github.api.calls.length
    const { main, ws } = await step(github.job(github.newRun()), {
      mode: 'publish',
      'rehearsal-run-id': String(rehearsal.runId),
      'dry-run': 'true'
    })
    expect(main.code).toBe(0)
    expect(main.outputs.outcome).toBe('dry-run')
    expect(github.api.calls.slice(calls)).toEqual([
      { operation: 'list-run-artifacts', status: 200 },
      { operation: 'download-artifact', status: 302 }
    ])
    expect(existsSync(join(ws, '.shipper', 'rehearsal.json'))).toBe(true)
    expect(existsSync(join(ws, '.shipper', 'events.jsonl'))).toBe(true)
  })

  it('refuses the proof of a run of another repository', async () => {
    const elsewhere = github.newRun('octo/other')
    github.copyArtifact(artifactsOf(rehearsal)[0]!, elsewhere)
    const calls = github.api.calls.length
    const { main } = await step(github.job(github.newRun()), {
      mode: 'publish',
      'rehearsal-run-id': String(elsewhere.runId),
      'dry-run': 'true'
    })
    expect(main.code).toBe(1)
    expect(main.outputs.outcome).toBe('refused')
    // GitHub's answer for a run this repository does not have (the client asks a few times);
    // nothing is downloaded.
    const answers = github.api.calls.slice(calls).map(c => `${c.operation} ${c.status}`)
    expect(answers.length).toBeGreaterThan(0)
    expect(new Set(answers)).toEqual(new Set(['list-run-artifacts 404']))
    const errors = commands(main, 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(
      new RegExp(
        `no rehearsal receipt at artifact '${ARTIFACT}' of run ${elsewhere.runId} of octo/widgets`
      )
    )
  })

  it.each([
    ['answers 501', { status: 501, message: 'not implemented' }],
    ['answers 404', { status: 404, message: 'no such route' }]
  ])(
    'refuses when the results service %s, with one cache warning and no error from the cache',
    async (_what, fault) => {
      const calls = github.results.calls.length
      for (const method of ['GetCacheEntryDownloadURL', 'ListArtifacts', 'CreateCacheEntry']) {
        github.results.faults.inject(method, fault)
      }
      const uploads = live.faults.uploads()
      const { main, post } = await step(github.job(rehearsal, 3), { mode: 'publish' })
      expect(main.code).toBe(1)
      expect(main.outputs.outcome).toBe('refused')
      const errors = commands(main, 'error')
      expect(errors).toHaveLength(1)
      expect(errors[0]).toMatch(
        /the rehearsal proof \(artifact 'shipper-rehearsal' of the current run .*\) could not be fetched: .*ListArtifacts/
      )
      expect(errors[0]).toMatch(/re-run this job/)
      expect(commands(main, 'warning').filter(w => /cache|restore/i.test(w))).toHaveLength(1)
      // The post step still tries to save, and its failure is no more than a log line.
      expect(post.code).toBe(0)
      expect(commands(post, 'warning')).toEqual([])
      expect(commands(post, 'error')).toEqual([])
      expect(github.results.calls.slice(calls)).toEqual([
        { operation: 'GetCacheEntryDownloadURL', status: fault.status },
        { operation: 'ListArtifacts', status: fault.status },
        { operation: 'CreateCacheEntry', status: fault.status }
      ])
      expect(live.faults.uploads()).toEqual(uploads)
    }
  )
})

describe('a rehearsal whose proof cannot be uploaded', () => {
  it('fails inside Actions: outcome failed, exit 1, status failure, and the reason with its fix in the summary', async () => {
    const run = github.newRun()
    github.results.faults.inject('CreateArtifact', {
      status: 429,
      message: 'insufficient usage to create artifact'
    })
    const statuses = github.api.statuses.length
    const { main } = await step(github.job(run), { 'status-check': 'true', cache: 'false' })
    expect(main.code).toBe(1)
    expect(main.outputs.outcome).toBe('failed')
    expect(main.outputs.passed).toBe('false')
    expect(main.outputs['artifact-id']).toBe('')
    expect(artifactsOf(run)).toEqual([])
    const posted = github.api.statuses.slice(statuses)
    expect(posted.map(s => s.state)).toEqual(['pending', 'failure'])
    expect(posted[1]!.description).toMatch(/could not be uploaded/)
    expect(main.summary).toMatch(
      /proof \(artifact &#39;shipper-rehearsal&#39;\) could not be uploaded: .*quota/
    )
    expect(main.summary).toMatch(/retention-days/)
    expect(commands(main, 'error')).toHaveLength(1)
  })
})

describe('the step summary', () => {
  it('stays within GitHub’s 1 MiB per step when cargo’s output is larger, keeping the error', async () => {
    // A build script that floods stderr and fails: cargo repeats all of it in its error.
    const ws = join(sandbox.root, 'noisy')
    mkdirSync(join(ws, 'src'), { recursive: true })
    writeFileSync(
      join(ws, 'Cargo.toml'),
      '[package]\nname = "noisy"\nversion = "0.1.0"\nedition = "2021"\nlicense = "MIT"\ndescription = "noisy"\n'
    )
    writeFileSync(join(ws, 'src', 'lib.rs'), '')
    writeFileSync(
      join(ws, 'build.rs'),
      'fn main() { for _ in 0..3 { eprintln!("{}", "x".repeat(1 << 20)); } panic!("the end of the noise"); }\n'
    )
    const { main } = await step(github.job(github.newRun()), { cache: 'false' }, ws)
    expect(main.code).toBe(1)
    expect(main.outputs.outcome).toBe('failed')
    expect(statSync(main.summaryFile).size).toBeLessThanOrEqual(1024 * 1024)
    expect(main.summary).toContain('the end of the noise')
  })
})
