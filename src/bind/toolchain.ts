import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { CargoRunner } from '../cargo/run.js'
import { mergeEnv } from '../cargo/run.js'

const run = promisify(execFile)

/** The toolchain that packages and builds: `cargo -V` and `rustc -vV`, as they print them. */
export interface Toolchain {
  cargo: string
  rustc: string
}

/**
 * The toolchain cargo uses in the workspace: run there, so a `rust-toolchain.toml` (rustup) or
 * `RUSTC` selects it as it does for cargo.
 */
export async function currentToolchain(
  workspaceRoot: string,
  cargo: CargoRunner,
  env: Record<string, string | undefined>
): Promise<Toolchain> {
  const cargoVersion = await cargo(['-V'], { cwd: workspaceRoot, env })
  const merged = mergeEnv(env)
  const rustc = merged.RUSTC?.trim() || 'rustc'
  const rustcVersion = await run(rustc, ['-vV'], { cwd: workspaceRoot, env: merged }).then(
    r => r.stdout,
    (error: Error) => `unavailable: ${error.message.split('\n')[0]}`
  )
  return { cargo: cargoVersion.stdout.trim(), rustc: rustcVersion.trim() }
}

/** What differs between the rehearsal's toolchain and this one, in one line; undefined if none. */
export function toolchainDifference(rehearsed: Toolchain, current: Toolchain): string | undefined {
  if (rehearsed.cargo !== current.cargo) {
    return `the rehearsal ran ${rehearsed.cargo || '(unknown cargo)'}, this run has ${current.cargo || '(unknown cargo)'}`
  }
  const before = rehearsed.rustc.split('\n')
  const now = current.rustc.split('\n')
  for (let i = 0; i < Math.max(before.length, now.length); i++) {
    if (before[i] !== now[i]) {
      return `rustc -vV differs: the rehearsal had "${before[i] ?? ''}", this run has "${now[i] ?? ''}"`
    }
  }
  return undefined
}
