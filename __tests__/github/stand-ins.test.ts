import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { GitHubStandIn, type WorkflowRun } from '../helpers/github/index.js'
import { signJwt } from '../helpers/github/jwt.js'
import { ARTIFACT_SERVICE } from '../helpers/github/results.js'

/**
 * The stand-ins refuse what GitHub refuses, so the end-to-end tests that pass against them
 * could not pass with a wrong token, run or repository.
 */
let github: GitHubStandIn
let run: WorkflowRun

beforeAll(async () => {
  github = await GitHubStandIn.start()
  run = github.newRun()
}, 30_000)

afterAll(async () => {
  await github?.close()
})

function twirp(method: string, token: string | undefined, body: object) {
  return fetch(`${github.urls.results}/twirp/${ARTIFACT_SERVICE}/${method}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {})
    },
    body: JSON.stringify(body)
  })
}

function listBody(job: { runBackendId: string; jobBackendId: string }) {
  return {
    workflow_run_backend_id: job.runBackendId,
    workflow_job_run_backend_id: job.jobBackendId
  }
}

describe('the results service stand-in', () => {
  it('answers a job’s own runtime token', async () => {
    const job = github.job(run)
    const response = await twirp('ListArtifacts', job.runtimeToken, listBody(job))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ artifacts: [] })
  })

  it.each([
    ['no token', () => undefined, 401],
    ['a token signed by someone else', () => signJwt({ scp: 'x', exp: 9e9 }, 'other'), 401],
    [
      'a token without the Actions.Results scope',
      () => github.signedRuntimeToken('Actions.GenericRead:x'),
      403
    ]
  ])('refuses %s', async (_what, token, status) => {
    const job = github.job(run)
    const response = await twirp('ListArtifacts', token(), listBody(job))
    expect(response.status).toBe(status)
    expect(await response.json()).toMatchObject({
      code: expect.any(String),
      msg: expect.any(String)
    })
  })

  it('refuses a call naming another run than the token’s', async () => {
    const job = github.job(run)
    const other = github.job(github.newRun())
    const response = await twirp('ListArtifacts', job.runtimeToken, listBody(other))
    expect(response.status).toBe(403)
  })

  it('fails an operation as many times as asked, then answers again', async () => {
    const job = github.job(run)
    github.results.faults.inject('ListArtifacts', { status: 503, message: 'busy', times: 1 })
    const first = await twirp('ListArtifacts', job.runtimeToken, listBody(job))
    expect(first.status).toBe(503)
    expect(await first.json()).toEqual({ code: 'unavailable', msg: 'busy' })
    expect((await twirp('ListArtifacts', job.runtimeToken, listBody(job))).status).toBe(200)
  })

  it('answers late when asked to be slow, without holding up other calls', async () => {
    const job = github.job(run)
    github.results.faults.inject('ListArtifacts', { delayMs: 1000, times: 1 })
    const order: string[] = []
    const slow = twirp('ListArtifacts', job.runtimeToken, listBody(job)).then(r => {
      order.push(`slow ${r.status}`)
    })
    const fast = twirp('GetSignedArtifactURL', job.runtimeToken, {
      ...listBody(job),
      name: 'none'
    }).then(r => {
      order.push(`fast ${r.status}`)
    })
    await Promise.all([slow, fast])
    expect(order).toEqual(['fast 404', 'slow 200'])
  })
})

describe('the REST API stand-in', () => {
  const list = (repository: string, token?: string) =>
    fetch(`${github.urls.api}/repos/${repository}/actions/runs/${run.runId}/artifacts`, {
      headers: token ? { authorization: `Bearer ${token}` } : {}
    })

  it('lists a run of the token’s repository', async () => {
    const response = await list(run.repository, github.githubToken(run.repository))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ total_count: 0, artifacts: [] })
  })

  it('answers 401 without a token and 404 for a repository the token was not issued for', async () => {
    expect((await list(run.repository)).status).toBe(401)
    expect((await list(run.repository, github.githubToken('octo/other'))).status).toBe(404)
    expect((await list('octo/other', github.githubToken(run.repository))).status).toBe(404)
  })

  it('records a commit status and rejects an unknown state', async () => {
    const post = (state: string) =>
      fetch(`${github.urls.api}/repos/${run.repository}/statuses/${'b'.repeat(40)}`, {
        method: 'POST',
        headers: { authorization: `token ${github.githubToken(run.repository)}` },
        body: JSON.stringify({ state, context: 'c' })
      })
    expect((await post('success')).status).toBe(201)
    expect((await post('green')).status).toBe(422)
    expect(github.api.statuses).toEqual([
      { state: 'success', context: 'c', repository: run.repository, sha: 'b'.repeat(40) }
    ])
  })
})

describe('the OIDC endpoint stand-in', () => {
  it('issues a token for the audience asked, only to the job’s request token', async () => {
    const job = github.job(run)
    const ask = (token: string) =>
      fetch(`${github.urls.oidc}/token?audience=crates.io`, {
        headers: { authorization: `bearer ${token}` }
      })
    expect((await ask('not-the-request-token')).status).toBe(401)
    const response = await ask(job.idTokenRequestToken)
    expect(response.status).toBe(200)
    const { value } = (await response.json()) as { value: string }
    const claims = JSON.parse(Buffer.from(value.split('.')[1]!, 'base64url').toString()) as Record<
      string,
      unknown
    >
    expect(claims).toMatchObject({ aud: 'crates.io', repository: run.repository })
  })
})
