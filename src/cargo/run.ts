import { spawn } from 'node:child_process'
import { UserError } from '../errors.js'
import { activeCargoGroups, interruptedBy, InterruptedError, signalGroup } from './interrupt.js'

export interface CargoResult {
  exitCode: number
  stdout: string
  stderr: string
}

export interface CargoRunOptions {
  cwd?: string
  /** Merged over process.env; a value of undefined removes the variable. */
  env?: Record<string, string | undefined>
  /** Streams cargo's output live (the action's log); off by default so callers decide. */
  stream?: boolean
  /** Told each complete line cargo prints, as it prints it (progress, the run's cargo log). */
  onLine?: (line: string, from: 'stdout' | 'stderr') => void
  /**
   * Stops cargo (SIGTERM to its process group) when aborted; cargo then resolves with what it
   * printed so far and a non-zero exit code, like any other failed command.
   */
  signal?: AbortSignal
}

/** Runs cargo; resolves with its output whatever the exit code. */
export type CargoRunner = (args: string[], options?: CargoRunOptions) => Promise<CargoResult>

/** cargo from the `CARGO` env var (set by cargo itself and by rustup shims) or PATH. */
export function cargoBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.CARGO && env.CARGO.trim() ? env.CARGO : 'cargo'
}

export function mergeEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete out[k]
    else out[k] = v
  }
  return out
}

/**
 * Credentials cargo must not inherit: build scripts and proc macros (third-party code) run inside
 * cargo and see its environment. Action inputs, the runner's service tokens and registry tokens
 * are dropped; a caller that means cargo to have a token passes it in `options.env`.
 */
const INHERITED_SECRETS = [
  /^INPUT_/,
  /^ACTIONS_RUNTIME_TOKEN$/,
  /^ACTIONS_ID_TOKEN_REQUEST_(TOKEN|URL)$/,
  /^GITHUB_TOKEN$/,
  /^CARGO_REGISTRY_TOKEN$/,
  /^CARGO_REGISTRIES_.+_TOKEN$/
]

export function cargoEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const inherited = Object.keys(process.env).filter(k => INHERITED_SECRETS.some(p => p.test(k)))
  return mergeEnv({ ...Object.fromEntries(inherited.map(k => [k, undefined])), ...extra })
}

/** Splits a byte stream into lines, holding back a partial last line until it is complete. */
function lineSplitter(emit: (line: string) => void): { push(text: string): void; end(): void } {
  let pending = ''
  return {
    push(text) {
      const parts = (pending + text).split(/\r?\n/)
      pending = parts.pop() ?? ''
      for (const line of parts) emit(line)
    },
    end() {
      if (pending !== '') emit(pending)
      pending = ''
    }
  }
}

/**
 * cargo runs in a process group of its own (POSIX), so an interrupt can stop it together with
 * every rustc, build script and proc macro it started, not just the cargo process.
 */
export const runCargo: CargoRunner = (args, options = {}) => {
  const stopped = interruptedBy()
  if (stopped) return Promise.reject(new InterruptedError(stopped))
  const env = cargoEnv(options.env)
  const bin = cargoBinary(env)
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32'
    })
    const chunks = { stdout: [] as string[], stderr: [] as string[] }
    const onLine = options.onLine
    for (const from of ['stdout', 'stderr'] as const) {
      const split = lineSplitter(line => onLine?.(line, from))
      const stream = child[from]
      stream.setEncoding('utf8')
      stream.on('data', (text: string) => {
        chunks[from].push(text)
        if (options.stream) process[from].write(text)
        split.push(text)
      })
      stream.on('end', () => split.end())
    }
    if (child.pid !== undefined) activeCargoGroups.add(child.pid)
    const stop = () => {
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGTERM')
    }
    if (options.signal?.aborted) stop()
    else options.signal?.addEventListener('abort', stop, { once: true })
    const done = () => {
      options.signal?.removeEventListener('abort', stop)
      if (child.pid !== undefined) activeCargoGroups.delete(child.pid)
    }
    child.on('error', error => {
      done()
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(
          new UserError(
            `cargo was not found (looked for '${bin}')`,
            'install Rust (e.g. dtolnay/rust-toolchain) before this step, or set CARGO to the cargo binary',
            2
          )
        )
      } else reject(error)
    })
    child.on('close', (code, signal) => {
      done()
      const interrupted = interruptedBy()
      if (interrupted) return reject(new InterruptedError(interrupted))
      resolve({
        exitCode: code ?? (signal ? 128 : 1),
        stdout: chunks.stdout.join(''),
        stderr: chunks.stderr.join('') + (signal ? `\ncargo was killed by ${signal}\n` : '')
      })
    })
  })
}

/** The last `lines` lines of a command's output, for events and summaries. */
export function tail(text: string, lines = 40): string {
  const all = text.replace(/\s+$/, '').split('\n')
  return all.slice(-lines).join('\n')
}
