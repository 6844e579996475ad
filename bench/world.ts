/**
 * One measurement's isolated cargo world, and the child-process helper every variant uses.
 *
 * Every measurement starts cold: its own CARGO_HOME (crates-io replaced by an empty directory
 * source, so nothing can reach crates.io) and its own target dir — what a CI release job starts
 * from without a cache.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { isolatedCargoHome } from '../__tests__/helpers/cargo-home.js'

export interface CargoWorld {
  root: string
  targetDir: string
  /** The environment every child gets on top of the runner's own (cargo variables scrubbed). */
  env: Record<string, string>
  cleanup(): void
}

/** Variables of the runner's own environment that would leak state into a measurement. */
const SCRUBBED =
  /^(CARGO_(HOME|TARGET_DIR|BUILD_.*|REGISTRIES_.*|REGISTRY_.*|INCREMENTAL)|RUSTFLAGS|RUSTC_WRAPPER)$/

/** Roots of the worlds not yet cleaned up, for the runner's Ctrl-C handler. */
export const liveWorlds = new Set<string>()

export function cargoWorld(
  prefix = 'shipper-bench-',
  options: { standIn?: string } = {}
): CargoWorld {
  const root = mkdtempSync(join(tmpdir(), prefix))
  liveWorlds.add(root)
  const cargoHome = join(root, 'cargo-home')
  const standIn = options.standIn ?? join(root, 'crates-io-stand-in')
  isolatedCargoHome(cargoHome, standIn)
  const targetDir = join(root, 'target')
  // The rehearsal's scratch copy goes to TMPDIR: inside the world, it goes when the world goes.
  const tmp = join(root, 'tmp')
  mkdirSync(tmp)
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !SCRUBBED.test(k)) env[k] = v
  }
  Object.assign(env, {
    CARGO_HOME: cargoHome,
    CARGO_TARGET_DIR: targetDir,
    CARGO_TERM_COLOR: 'never',
    // What CI caches set; incremental state would only be written, never reused, in a cold run.
    CARGO_INCREMENTAL: '0',
    TMPDIR: tmp
  })
  return {
    root,
    targetDir,
    env,
    cleanup: () => {
      rmSync(root, { recursive: true, force: true })
      liveWorlds.delete(root)
    }
  }
}

/** A line a child printed, with when it arrived (ms since the child was spawned). */
export interface TimedLine {
  ms: number
  stream: 'out' | 'err'
  text: string
}

export interface ChildRun {
  code: number | null
  ms: number
  lines: TimedLine[]
}

/** Children still running, so an interrupted runner can stop them before removing their files. */
const liveChildren = new Set<ChildProcess>()

/** Stops the running children and removes every world; for the runner's signal handler. */
export async function abandonAll(): Promise<void> {
  const exits = [...liveChildren].map(
    child =>
      new Promise<void>(resolve =>
        child.exitCode !== null ? resolve() : child.once('close', () => resolve())
      )
  )
  for (const child of liveChildren) child.kill('SIGTERM')
  await Promise.race([Promise.all(exits), new Promise(resolve => setTimeout(resolve, 5000))])
  for (const root of liveWorlds) rmSync(root, { recursive: true, force: true })
  liveWorlds.clear()
}

/** Runs a command to completion, timestamping every output line as it arrives. */
export function runTimed(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> }
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const lines: TimedLine[] = []
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const collect = (stream: 'out' | 'err') => {
      let pending = ''
      return (chunk: Buffer) => {
        const ms = performance.now() - start
        pending += chunk.toString()
        const parts = pending.split('\n')
        pending = parts.pop() ?? ''
        for (const text of parts) lines.push({ ms, stream, text })
      }
    }
    liveChildren.add(child)
    child.once('close', () => liveChildren.delete(child))
    child.stdout.on('data', collect('out'))
    child.stderr.on('data', collect('err'))
    child.on('error', reject)
    child.on('close', code => resolve({ code, ms: performance.now() - start, lines }))
  })
}

/** The last lines of a failed child's output, for the error message. */
export function outputTail(run: ChildRun, count = 25): string {
  return run.lines
    .slice(-count)
    .map(l => l.text)
    .join('\n')
}
