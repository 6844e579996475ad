import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Runs `git` with `args` in `cwd` and resolves to its stdout; a non-zero exit rejects. */
export type GitRunner = (
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined> }
) => Promise<string>

/** The real git on PATH. */
export const runGit: GitRunner = async (args, { cwd, env }) => {
  const { stdout } = await run('git', args, {
    cwd,
    ...(env ? { env } : {}),
    maxBuffer: 256 * 1024 * 1024
  })
  return stdout
}
