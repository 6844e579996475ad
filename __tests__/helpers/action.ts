import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'

/**
 * The committed bundles, run the way users run them: `node dist/index.js` with inputs as INPUT_*
 * variables and the files the Actions runner provides, and `node dist/cli.js` as a shell would.
 */
export const DIST_INDEX = resolve('dist/index.js')
export const DIST_POST = resolve('dist/post.js')
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

/**
 * The README's demo workspace copied into a sandbox for a live registry named `live` (a local
 * stand-in, so nothing reaches crates.io): its internal dependencies name that registry, as a
 * workspace publishing to a private registry must (the rehearsal refuses them otherwise).
 */
export function demoForLiveRegistry(sandbox: {
  copyFixture(from: string, name?: string): string
}): string {
  const workspace = sandbox.copyFixture(resolve('examples/demo'), 'demo')
  const root = join(workspace, 'Cargo.toml')
  writeFileSync(
    root,
    readFileSync(root, 'utf8').replace(
      /version = "0\.1\.0" \}/g,
      'version = "0.1.0", registry = "live" }'
    )
  )
  return workspace
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
  // Temporary dirs go inside the sandbox: a child a test kills with SIGKILL cannot remove its
  // own, and the sandbox's cleanup then does.
  const tmp = join(sandbox.root, 'tmp')
  mkdirSync(tmp, { recursive: true })
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? sandbox.root,
    TMPDIR: tmp,
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

/** The runner's name for an input's variable: spaces become `_`, hyphens stay. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}

/**
 * Every input of action.yml as the runner passes it: the value given in `with:`, else the
 * declared default, with `${{ github.token }}` standing for the job's token.
 */
export function runnerInputs(
  given: Record<string, string>,
  githubToken: string
): Record<string, string> {
  const declared = (
    parseYaml(readFileSync(resolve('action.yml'), 'utf8')) as {
      inputs: Record<string, { default?: string }>
    }
  ).inputs
  const env: Record<string, string> = {}
  for (const [name, input] of Object.entries(declared)) {
    const value =
      given[name] ?? (input.default ?? '').replace(/\$\{\{\s*github\.token\s*\}\}/g, githubToken)
    env[inputVariable(name)] = value
  }
  for (const [name, value] of Object.entries(given)) env[inputVariable(name)] = value
  return env
}

export interface StepRun extends ActionRun {
  /** What the step saved with core.saveState (GITHUB_STATE). */
  state: Record<string, string>
}

function stepFiles(root: string) {
  const base = join(root, `step-${Math.random().toString(36).slice(2)}`)
  const files = {
    GITHUB_OUTPUT: `${base}.output`,
    GITHUB_STEP_SUMMARY: `${base}.summary`,
    GITHUB_STATE: `${base}.state`,
    GITHUB_ENV: `${base}.env`,
    GITHUB_PATH: `${base}.path`
  }
  for (const file of Object.values(files)) writeFileSync(file, '')
  return files
}

async function runStep(
  script: string,
  workspace: string,
  env: Record<string, string>,
  root: string
): Promise<StepRun> {
  const files = stepFiles(root)
  const run = await startNode(script, [], { cwd: workspace, env: { ...env, ...files } }).done
  const read = (name: keyof typeof files) => readFileSync(files[name], 'utf8')
  return {
    ...run,
    outputs: parseOutputs(read('GITHUB_OUTPUT')),
    summary: read('GITHUB_STEP_SUMMARY'),
    state: parseOutputs(read('GITHUB_STATE')),
    outputFile: files.GITHUB_OUTPUT,
    summaryFile: files.GITHUB_STEP_SUMMARY
  }
}

/**
 * One `uses: shipper/rehearse` step as the runner runs it: `dist/index.js` with every input as
 * INPUT_*, then (post-if: success() || failure()) `dist/post.js` with what main saved handed over
 * as STATE_* variables. Each step gets its own output, summary and state files.
 */
export async function runActionJob(
  sandbox: SandboxLike,
  workspace: string,
  inputs: Record<string, string>,
  options: { env: Record<string, string>; githubToken: string }
): Promise<{ main: StepRun; post: StepRun }> {
  const runnerTemp = join(sandbox.root, 'runner-temp')
  mkdirSync(runnerTemp, { recursive: true })
  const env = baseEnv(sandbox, {
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: runnerTemp,
    ...options.env,
    ...runnerInputs(inputs, options.githubToken)
  })
  const main = await runStep(DIST_INDEX, workspace, env, sandbox.root)
  const state = Object.fromEntries(
    Object.entries(main.state).map(([name, value]) => [`STATE_${name}`, value])
  )
  const post = await runStep(DIST_POST, workspace, { ...env, ...state }, sandbox.root)
  return { main, post }
}
