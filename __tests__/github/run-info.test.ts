import { describe, expect, it } from '@jest/globals'
import { apiUrl, headSha, isPullRequest, repository, runUrl } from '../../src/github/run-info.js'

const HEAD = '0123456789abcdef0123456789abcdef01234567'
const MERGE = 'fedcba9876543210fedcba9876543210fedcba98'

function events(files: Record<string, string>) {
  return (path: string) => {
    const text = files[path]
    if (text === undefined) throw new Error(`ENOENT: ${path}`)
    return text
  }
}

describe('run info', () => {
  it('links to the workflow run, on GitHub Enterprise Server too', () => {
    const env = { GITHUB_REPOSITORY: 'acme/demo', GITHUB_RUN_ID: '99' }
    expect(runUrl(env)).toBe('https://github.com/acme/demo/actions/runs/99')
    expect(runUrl({ ...env, GITHUB_SERVER_URL: 'https://ghe.example/' })).toBe(
      'https://ghe.example/acme/demo/actions/runs/99'
    )
    expect(runUrl({ GITHUB_RUN_ID: '99' })).toBeUndefined()
  })

  it('splits the repository into owner and name', () => {
    expect(repository({ GITHUB_REPOSITORY: 'acme/demo' })).toEqual({ owner: 'acme', name: 'demo' })
    expect(repository({ GITHUB_REPOSITORY: 'nonsense' })).toBeUndefined()
    expect(repository({})).toBeUndefined()
  })

  it('defaults the API URL to api.github.com', () => {
    expect(apiUrl({})).toBe('https://api.github.com')
    expect(apiUrl({ GITHUB_API_URL: 'https://ghe.example/api/v3/' })).toBe(
      'https://ghe.example/api/v3'
    )
  })

  it('knows both pull request events', () => {
    expect(isPullRequest({ GITHUB_EVENT_NAME: 'pull_request' })).toBe(true)
    expect(isPullRequest({ GITHUB_EVENT_NAME: 'pull_request_target' })).toBe(true)
    expect(isPullRequest({ GITHUB_EVENT_NAME: 'push' })).toBe(false)
  })
})

describe('headSha', () => {
  const read = events({
    '/ev/pr.json': JSON.stringify({ pull_request: { head: { sha: HEAD } } }),
    '/ev/push.json': JSON.stringify({ after: MERGE }),
    '/ev/bad.json': '{not json'
  })

  it('is GITHUB_SHA outside pull requests', () => {
    expect(headSha({ GITHUB_EVENT_NAME: 'push', GITHUB_SHA: MERGE }, read)).toBe(MERGE)
  })

  it('is the pull request head, not the merge commit, on pull requests', () => {
    const env = {
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_SHA: MERGE,
      GITHUB_EVENT_PATH: '/ev/pr.json'
    }
    expect(headSha(env, read)).toBe(HEAD)
  })

  it('is unknown on a pull request whose event payload is missing or malformed', () => {
    const env = { GITHUB_EVENT_NAME: 'pull_request_target', GITHUB_SHA: MERGE }
    expect(headSha(env, read)).toBeUndefined()
    expect(headSha({ ...env, GITHUB_EVENT_PATH: '/ev/bad.json' }, read)).toBeUndefined()
    expect(headSha({ ...env, GITHUB_EVENT_PATH: '/ev/push.json' }, read)).toBeUndefined()
    expect(headSha({ ...env, GITHUB_EVENT_PATH: '/ev/missing.json' }, read)).toBeUndefined()
  })
})
