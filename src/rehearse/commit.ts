import type { GitRunner } from '../checkout/git.js'

/** The rehearsed commit: HEAD of the workspace's repository, else the workflow's GITHUB_SHA. */
export async function commitOf(
  git: GitRunner,
  workspaceRoot: string,
  env: Record<string, string | undefined>
): Promise<string | undefined> {
  try {
    const sha = (await git(['rev-parse', 'HEAD'], { cwd: workspaceRoot })).trim()
    if (/^[0-9a-f]{40,64}$/.test(sha)) return sha
  } catch {
    // not a git checkout, or no commit yet
  }
  return env.GITHUB_SHA ?? process.env.GITHUB_SHA ?? undefined
}
