import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { CargoResult, CargoRunner } from '../cargo/run.js'
import { packagedCratePath } from '../bind/compare.js'
import type { Plan, PlannedCrate } from '../plan/types.js'

/** `cargo package` for the whole plan in one invocation (see packagePlan). */
export function packageArgs(plan: Pick<Plan, 'packages'>, registryName: string): string[] {
  return [
    'package',
    ...plan.packages.flatMap(c => ['-p', c.name]),
    '--registry',
    registryName,
    '--allow-dirty',
    // The copy holds the lock the digest bound (committed or resolved for it): keep it as it is.
    '--locked'
  ]
}

const STEP_LINE = /^\s*(?:Packaging|Verifying)\s+(\S+)\s+v(\S+)/

/**
 * The planned crate a failed `cargo package` was working on: the last `Packaging`/`Verifying`
 * line before the first error, else the first planned `name vX.Y.Z` an error line mentions. Pure.
 */
export function crateOfPackageFailure(
  stderr: string,
  plan: Pick<Plan, 'packages'>
): PlannedCrate | undefined {
  const find = (name: string, version: string) =>
    plan.packages.find(c => c.name === name && c.version === version)
  const lines = stderr.split(/\r?\n/)
  const firstError = lines.findIndex(l => l.startsWith('error'))
  const before = firstError === -1 ? lines : lines.slice(0, firstError)
  for (let i = before.length - 1; i >= 0; i--) {
    const match = STEP_LINE.exec(before[i] as string)
    const crate = match && find(match[1] as string, match[2] as string)
    if (crate) return crate
  }
  const after = firstError === -1 ? '' : lines.slice(firstError).join('\n')
  for (const match of after.matchAll(/`?([A-Za-z0-9_-]+) v(\d+\.\d+\.\d+[^\s`)]*)/g)) {
    const crate = find(match[1] as string, match[2] as string)
    if (crate) return crate
  }
  return undefined
}

export { packagedCratePath }

export type PackageResult =
  | { ok: true; cksums: Map<string, string>; durationMs: number }
  | { ok: false; result: CargoResult; crate?: PlannedCrate; durationMs: number }

/**
 * Packages and verifies every planned crate in one cargo run: cargo 1.95 packages workspace
 * crates into a local overlay registry so dependents resolve their unpublished siblings, and each
 * crate compiles once. Returns the sha256 of each `.crate`, which is what the registry's index
 * must list after the upload (`cargo publish --no-verify` re-packages byte-identically).
 */
export async function packagePlan(
  plan: Pick<Plan, 'packages'>,
  registryName: string,
  run: {
    cargo: CargoRunner
    cwd: string
    env: Record<string, string | undefined>
    targetDir: string
  },
  now: () => number
): Promise<PackageResult> {
  const start = now()
  const result = await run.cargo(packageArgs(plan, registryName), {
    cwd: run.cwd,
    env: run.env
  })
  if (result.exitCode !== 0) {
    return {
      ok: false,
      result,
      crate: crateOfPackageFailure(result.stderr, plan),
      durationMs: now() - start
    }
  }
  const cksums = new Map<string, string>()
  for (const crate of plan.packages) {
    const bytes = await readFile(packagedCratePath(run.targetDir, crate))
    cksums.set(crate.name, createHash('sha256').update(bytes).digest('hex'))
  }
  return { ok: true, cksums, durationMs: now() - start }
}
