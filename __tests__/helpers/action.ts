import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

/**
 * The committed bundles, run the way users run them: `node dist/index.js` with inputs as INPUT_*
 * variables and the files the Actions runner provides, and `node dist/cli.js` as a shell would.
 */
export const DIST_INDEX = resolve('dist/index.js')
export const DIST_CLI = resolve('dist/cli.js')

export interface ProcessRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface ActionRun extends ProcessRun {
  outputs: Record<string, string>
  summary: string
  /** The raw GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, for leak checks. */
  outputFile: string
  summaryFile: string
}

/** A started node process: its pid, a way to kill it, and its result once it ends. */
export interface RunningProcess {
  child: ChildProcess
  pid: number
  /** Output so far; `done` has all of it. */
  output(): { stdout: string; stderr: string }
  done: Promise<ProcessRun>
}

/** What a run needs of a test's cargo sandbox: a scratch root and the cargo environment. */
export interface SandboxLike {
  root: string
  env: Record<string, string>
}

/** `name<<DELIM\nvalue\nDELIM` blocks, as @actions/core writes GITHUB_OUTPUT. */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  const re = /^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm
  for (const m of text.matchAll(re)) out[m[1] as string] = m[3] as string
  return out
}

/**
 * Starts `node script args` with exactly `env` (nothing inherited, so a test controls PATH and
 * CARGO). `detached` puts it in its own process group, so a test can kill it with its children.
 */
export function startNode(
  script: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; detached?: boolean }
): RunningProcess {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: options.cwd,
    env: options.env,
    detached: options.detached ?? false,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  const done = new Promise<ProcessRun>((settle, fail) => {
    child.on('error', fail)
    child.on('close', (code, signal) => settle({ code, signal, stdout, stderr }))
  })
  return { child, pid: child.pid as number, output: () => ({ stdout, stderr }), done }
}

/** The environment of a bare machine with the sandbox's cargo world: no runner variables. */
export function baseEnv(sandbox: SandboxLike, extra: Record<string, string> = {}) {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? sandbox.root,
    ...sandbox.env,
    ...extra
  }
}

/** `node dist/cli.js args` in `cwd`, to completion. */
export function runCli(
  sandbox: SandboxLike,
  cwd: string,
  args: string[],
  extraEnv: Record<string, string> = {}
): Promise<ProcessRun> {
  return startNode(DIST_CLI, args, { cwd, env: baseEnv(sandbox, extraEnv) }).done
}

/** The runner's environment for one step: output and summary files, workspace, inputs. */
export function actionEnv(
  sandbox: SandboxLike,
  workspace: string,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {}
): { env: Record<string, string>; outputFile: string; summaryFile: string } {
  const outputFile = join(sandbox.root, `out-${Math.random().toString(36).slice(2)}`)
  const summaryFile = `${outputFile}.summary`
  writeFileSync(outputFile, '')
  writeFileSync(summaryFile, '')
  const env: Record<string, string> = baseEnv(sandbox, {
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: sandbox.root,
    ...extraEnv
  })
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  return { env, outputFile, summaryFile }
}

/** `node dist/index.js` as the runner runs it, to completion, with its outputs and summary. */
export async function runAction(
  sandbox: SandboxLike,
  workspace: string,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {}
): Promise<ActionRun> {
  const { env, outputFile, summaryFile } = actionEnv(sandbox, workspace, inputs, extraEnv)
  const run = await startNode(DIST_INDEX, [], { cwd: workspace, env }).done
  return {
    ...run,
    outputs: parseOutputs(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
    outputFile,
    summaryFile
  }
}

/** Lines of a stack trace (`    at fn (file:line)`). */
export function stackLines(text: string): string[] {
  return text.split('\n').filter(line => /^\s+at\s/.test(line))
}

/** Workflow commands that raise an error annotation (`::error::` and `::error title=...::`). */
export function errorCommands(stdout: string): string[] {
  return stdout.split('\n').filter(line => line.startsWith('::error'))
}

/** The command line's `error:` lines. */
export function cliErrorLines(stderr: string): string[] {
  return stderr.split('\n').filter(line => line.startsWith('error:'))
}

/** Output with the runner's mask commands removed: the only place a masked value may appear. */
export function withoutMaskCommands(text: string): string {
  return text
    .split('\n')
    .filter(line => !line.startsWith('::add-mask::'))
    .join('\n')
}
