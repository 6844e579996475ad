import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The rehearsed commit: HEAD of the workspace's repository, else the workflow's GITHUB_SHA. */
export async function commitOf(
  workspaceRoot: string,
  env: Record<string, string | undefined>
): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', ['rev-parse', 'HEAD'], { cwd: workspaceRoot })
    const sha = stdout.trim()
    if (/^[0-9a-f]{40,64}$/.test(sha)) return sha
  } catch {
    // not a git checkout, or no commit yet
  }
  return env.GITHUB_SHA ?? process.env.GITHUB_SHA ?? undefined
}
