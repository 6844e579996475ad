import { getExecOutput } from '@actions/exec'
import { UserError } from '../errors.js'

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

export const runCargo: CargoRunner = async (args, options = {}) => {
  const env = cargoEnv(options.env)
  const bin = cargoBinary(env)
  try {
    return await getExecOutput(bin, args, {
      cwd: options.cwd,
      env,
      silent: !options.stream,
      ignoreReturnCode: true
    })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    if (/Unable to locate executable|ENOENT|not found/i.test(message)) {
      throw new UserError(
        `cargo was not found (looked for '${bin}')`,
        'install Rust (e.g. dtolnay/rust-toolchain) before this step, or set CARGO to the cargo binary',
        2
      )
    }
    throw error
  }
}

/** The last `lines` lines of a command's output, for events and summaries. */
export function tail(text: string, lines = 40): string {
  const all = text.replace(/\s+$/, '').split('\n')
  return all.slice(-lines).join('\n')
}
