/**
 * What the runner tells a step about its workflow run, read from the `GITHUB_*` environment. Shared
 * by the commit status, the job summary and the annotations so they agree on links and commits.
 */
import { readFileSync } from 'node:fs'
import { z } from 'zod'

export type Env = Record<string, string | undefined>

const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target'])

const pullRequestEventSchema = z.object({
  pull_request: z.object({ head: z.object({ sha: z.string().regex(/^[0-9a-f]{40}$/i) }) })
})

function present(value: string | undefined): string | undefined {
  return value && value.trim() ? value.trim() : undefined
}

/** `https://github.com` unless the runner says otherwise (GitHub Enterprise Server). */
export function serverUrl(env: Env): string {
  return (present(env.GITHUB_SERVER_URL) ?? 'https://github.com').replace(/\/+$/, '')
}

export function apiUrl(env: Env): string {
  return (present(env.GITHUB_API_URL) ?? 'https://api.github.com').replace(/\/+$/, '')
}

/** `owner/name` split in two; undefined outside a workflow run. */
export function repository(env: Env): { owner: string; name: string } | undefined {
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(present(env.GITHUB_REPOSITORY) ?? '')
  return match ? { owner: match[1] as string, name: match[2] as string } : undefined
}

/** The page of this workflow run; undefined outside a workflow run. */
export function runUrl(env: Env): string | undefined {
  const repo = repository(env)
  const runId = present(env.GITHUB_RUN_ID)
  if (!repo || !runId) return undefined
  return `${serverUrl(env)}/${repo.owner}/${repo.name}/actions/runs/${runId}`
}

export function isPullRequest(env: Env): boolean {
  return PULL_REQUEST_EVENTS.has(present(env.GITHUB_EVENT_NAME) ?? '')
}

/**
 * The commit the run is about. On pull requests `GITHUB_SHA` is a merge commit nobody sees, so the
 * PR head is read from the event payload; when that payload is unreadable the answer is undefined
 * rather than the merge commit, because a status on it would never show on the pull request.
 */
export function headSha(
  env: Env,
  readFile: (path: string) => string = path => readFileSync(path, 'utf8')
): string | undefined {
  if (!isPullRequest(env)) return present(env.GITHUB_SHA)
  const eventPath = present(env.GITHUB_EVENT_PATH)
  if (!eventPath) return undefined
  let json: unknown
  try {
    json = JSON.parse(readFile(eventPath))
  } catch {
    return undefined
  }
  const parsed = pullRequestEventSchema.safeParse(json)
  return parsed.success ? parsed.data.pull_request.head.sha : undefined
}
