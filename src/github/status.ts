/**
 * The `shipper/rehearsal` commit status, usable as a required check. A status is advice about the
 * release, never part of it: every failure to post one becomes a warning, never an error.
 *
 * A skipped rehearsal posts `error`, not `failure` and never `success`: `failure` would say the
 * release is broken, which nobody checked; `error` says the check reached no verdict. Both block a
 * required check, so a skipped rehearsal cannot stand in for a passing one.
 */
import { z } from 'zod'
import type { RunResult } from '../result.js'
import { apiUrl, headSha, repository, runUrl, type Env } from './run-info.js'

export const STATUS_CONTEXT = 'shipper/rehearsal'

/** GitHub rejects longer descriptions. */
export const DESCRIPTION_MAX = 140

export type StatusState = 'pending' | 'success' | 'failure' | 'error'

export interface CommitStatus {
  state: StatusState
  description: string
  /** Defaults to this workflow run's page. */
  targetUrl?: string
}

export type StatusPostResult = { posted: true; sha: string } | { posted: false; warning: string }

export interface StatusDeps {
  env: Env
  token: string
  fetch?: typeof fetch
  /** Reads the event payload (GITHUB_EVENT_PATH); injectable for tests. */
  readFile?: (path: string) => string
  timeoutMs?: number
}

const apiErrorSchema = z.looseObject({ message: z.string() })

/** `text · plan abcdef012345`, cut inside `text` so the plan suffix always survives. */
function fitDescription(text: string, planId?: string): string {
  const suffix = planId ? ` · plan ${planId.slice(0, 12)}` : ''
  const room = DESCRIPTION_MAX - suffix.length
  const body = text.length > room ? `${text.slice(0, room - 1).trimEnd()}…` : text
  return body + suffix
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? ''
}

/** Pure: the status a finished run posts. */
export function statusForResult(result: RunResult): { state: StatusState; description: string } {
  const planId = result.plan?.planId
  const n = result.packages.length || result.plan?.packages.length || 0
  const crates = `${n} crate${n === 1 ? '' : 's'}`
  const f = result.failure
  const at = f?.crate ? ` at ${f.crate.name}@${f.crate.version}` : ''
  const why = f ? `: ${firstLine(f.message)}` : ''
  switch (result.outcome) {
    case 'passed':
      return {
        state: 'success',
        description: fitDescription(`Rehearsal passed: ${crates}`, planId)
      }
    case 'skipped':
      return {
        state: 'error',
        description: fitDescription(
          'Rehearsal skipped (skip-rehearsal): nothing was rehearsed',
          planId
        )
      }
    case 'published':
      return {
        state: 'success',
        description: fitDescription(
          result.published.length === 0
            ? 'Already published, nothing uploaded'
            : `Published ${crates}`,
          planId
        )
      }
    case 'dry-run':
      return { state: 'success', description: fitDescription(`Dry run passed: ${crates}`, planId) }
    case 'refused':
      return { state: 'failure', description: fitDescription(`Publish refused${why}`, planId) }
    case 'failed': {
      const what = result.mode === 'rehearse' ? 'Rehearsal' : 'Publish'
      return { state: 'failure', description: fitDescription(`${what} failed${at}${why}`, planId) }
    }
  }
}

/** What to post when a rehearsal starts, so the check shows up before it has a verdict. */
export function pendingStatus(): { state: StatusState; description: string } {
  return { state: 'pending', description: 'Rehearsing the release…' }
}

function explain(status: number, body: string): string {
  let detail = ''
  try {
    const parsed = apiErrorSchema.safeParse(JSON.parse(body))
    if (parsed.success) detail = `: ${parsed.data.message}`
  } catch {
    detail = ''
  }
  if (status === 403) {
    return `HTTP 403${detail}. The token cannot write commit statuses: grant \`statuses: write\` in the workflow's permissions (pull requests from forks always get a read-only token)`
  }
  if (status === 404) {
    return `HTTP 404${detail}. The repository or commit is not visible to this token`
  }
  return `HTTP ${status}${detail}`
}

/**
 * Posts `status` on the commit the run is about (the PR head on pull_request events). Resolves
 * with a warning instead of throwing, whatever goes wrong. The token only travels in the
 * Authorization header and never appears in a warning.
 */
export async function postCommitStatus(
  status: CommitStatus,
  deps: StatusDeps
): Promise<StatusPostResult> {
  const warn = (text: string): StatusPostResult => ({
    posted: false,
    warning: `commit status ${STATUS_CONTEXT} not posted: ${
      deps.token ? text.split(deps.token).join('***') : text
    }`
  })
  const repo = repository(deps.env)
  if (!repo) return warn('GITHUB_REPOSITORY is not set (not running in a workflow?)')
  const sha = headSha(deps.env, deps.readFile)
  if (!sha)
    return warn(
      'the commit to report on is unknown (no GITHUB_SHA, or no head sha in the pull request event)'
    )
  if (!deps.token) return warn('no github-token was given')
  const url = `${apiUrl(deps.env)}/repos/${repo.owner}/${repo.name}/statuses/${sha}`
  const target = status.targetUrl ?? runUrl(deps.env)
  const body = {
    state: status.state,
    context: STATUS_CONTEXT,
    description: fitDescription(status.description),
    ...(target ? { target_url: target } : {})
  }
  const doFetch = deps.fetch ?? fetch
  try {
    const res = await doFetch(url, {
      method: 'POST',
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${deps.token}`,
        'content-type': 'application/json',
        'user-agent': 'shipper-rehearse',
        'x-github-api-version': '2022-11-28'
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(deps.timeoutMs ?? 15_000)
    })
    const text = await res.text()
    if (res.status === 201 || res.status === 200) return { posted: true, sha }
    return warn(explain(res.status, text))
  } catch (error) {
    const cause =
      error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : ''
    return warn(error instanceof Error ? `${error.message}${cause}` : String(error))
  }
}
