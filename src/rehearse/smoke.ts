import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { stringify } from 'smol-toml'
import type { CargoResult, CargoRunner } from '../cargo/run.js'
import { UserError } from '../errors.js'
import type { Plan, PlannedCrate } from '../plan/types.js'

/**
 * The crates `smoke-install` names, checked before anything is published: each must be planned
 * and have a bin target. Pure; a bad name is an input error (exit 2) listing those that qualify.
 */
export function smokeInstallCrates(
  names: readonly string[],
  plan: Pick<Plan, 'packages'>
): PlannedCrate[] {
  const installable = plan.packages.filter(c => c.bins.length > 0)
  const qualifying =
    installable.length > 0
      ? `crates of this plan with a binary: ${installable.map(c => c.name).join(', ')}`
      : 'no crate of this plan has a binary target'
  const picked: PlannedCrate[] = []
  for (const name of new Set(names)) {
    const crate = plan.packages.find(c => c.name === name)
    if (!crate) {
      throw new UserError(
        `smoke-install names '${name}', which is not in the publish plan`,
        qualifying,
        2
      )
    }
    if (crate.bins.length === 0) {
      throw new UserError(
        `smoke-install names '${name}', which has no binary target`,
        qualifying,
        2
      )
    }
    picked.push(crate)
  }
  return picked
}

/** The planned crates a consumer can depend on as libraries. Pure. */
export function consumerCrates(plan: Pick<Plan, 'packages'>): PlannedCrate[] {
  return plan.packages.filter(c => c.hasLib)
}

export const CONSUMER_NAME = 'shipper-rehearse-consumer'
export const CONSUMER_VERSION = '0.0.0'

/**
 * A scratch crate depending on every library crate at its exact planned version from the
 * rehearsal registry. The empty `[workspace]` keeps it out of any workspace around the scratch
 * dir. Pure.
 */
export function consumerManifest(crates: readonly PlannedCrate[], registryName: string): string {
  const dependencies: Record<string, { version: string; registry: string }> = {}
  for (const crate of crates) {
    dependencies[crate.name] = { version: `=${crate.version}`, registry: registryName }
  }
  return `${stringify({
    package: {
      name: CONSUMER_NAME,
      version: CONSUMER_VERSION,
      edition: '2021',
      publish: false
    },
    dependencies,
    workspace: {}
  })}\n`
}

export interface SmokeRun {
  cargo: CargoRunner
  env: Record<string, string | undefined>
  registryName: string
  /** A directory of the scratch area the smoke checks may use. */
  dir: string
}

export interface SmokeResult {
  ok: boolean
  durationMs: number
  result: CargoResult
  /** Why it failed beyond cargo's exit code (a promised binary missing). */
  problem?: string
}

/**
 * `cargo install --locked` of one crate from the rehearsal registry into a scratch root, then
 * checks that every bin target landed in it. Run from the scratch dir so no workspace config or
 * toolchain file of the user's checkout applies.
 */
export async function smokeInstall(
  crate: PlannedCrate,
  run: SmokeRun,
  now: () => number
): Promise<SmokeResult> {
  const start = now()
  const root = join(run.dir, 'install-root')
  await mkdir(root, { recursive: true })
  const args = [
    'install',
    '--registry',
    run.registryName,
    crate.name,
    '--version',
    crate.version,
    '--root',
    root,
    '--locked'
  ]
  const result = await run.cargo(args, { cwd: run.dir, env: run.env })
  const durationMs = now() - start
  if (result.exitCode !== 0) return { ok: false, durationMs, result }
  const exe = process.platform === 'win32' ? '.exe' : ''
  const missing = crate.bins.filter(bin => !existsSync(join(root, 'bin', `${bin}${exe}`)))
  if (missing.length > 0) {
    return {
      ok: false,
      durationMs,
      result,
      problem: `cargo install succeeded but did not install ${missing.join(', ')}`
    }
  }
  return { ok: true, durationMs, result }
}

/** Builds the consumer crate (consumerManifest) against the rehearsal registry. */
export async function smokeBuild(
  crates: readonly PlannedCrate[],
  run: SmokeRun,
  now: () => number
): Promise<SmokeResult> {
  const start = now()
  const dir = join(run.dir, 'consumer')
  await mkdir(join(dir, 'src'), { recursive: true })
  await writeFile(join(dir, 'Cargo.toml'), consumerManifest(crates, run.registryName))
  await writeFile(join(dir, 'src', 'lib.rs'), '')
  const result = await run.cargo(['build'], { cwd: dir, env: run.env })
  return { ok: result.exitCode === 0, durationMs: now() - start, result }
}
