/**
 * The checks both modes run before any upload, so that a passing rehearsal predicts a successful
 * publish: the live registry's manifest rules (crates.io's, or a private target's registry keys)
 * and the planned versions it already has.
 */
import { existsSync, readFileSync } from 'node:fs'
import { parse } from 'smol-toml'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { CargoRunner } from '../cargo/run.js'
import { resolveStateDir } from '../options/parse.js'
import type { Options } from '../options/types.js'
import { CRATES_IO } from '../crates-io.js'
import { loadMetadata } from '../plan/metadata.js'
import type { Plan, PlannedCrate } from '../plan/types.js'
import { liveTarget, type LiveTarget } from '../target/live.js'
import type { Failure } from '../result.js'
import { compareLiveVersions, describeLiveVersion, type LiveVersion } from './live-versions.js'
import {
  describeProblem,
  manifestProblems,
  oversizeProblems,
  type ManifestFiles,
  type ManifestProblem
} from './manifest.js'

export interface PreflightDeps {
  cargo: CargoRunner
  fetch: typeof fetch
  env: Record<string, string | undefined>
}

export interface PreflightReport {
  target: LiveTarget
  problems: ManifestProblem[]
  live: Map<string, LiveVersion>
  /** Versions already live with the same sources: a resumed release. */
  resumed: string[]
  /** Versions whose live state could not be learnt. */
  unknown: string[]
}

/** A live version with other contents is a problem like any manifest problem: bump it. */
export function liveVersionProblems(
  crates: readonly Pick<PlannedCrate, 'name' | 'version'>[],
  live: ReadonlyMap<string, LiveVersion>,
  target: string
): ManifestProblem[] {
  return crates.flatMap(crate => {
    const state = live.get(crate.name)
    if (state?.kind !== 'different') return []
    return [
      {
        crate: crate.name,
        version: crate.version,
        field: 'package.version',
        message: `${crate.version} is already on '${target}' with other contents (${state.files.slice(0, 5).join(', ')}${state.files.length > 5 ? ', …' : ''})`,
        fix: `bump the version of ${crate.name}: a published version never changes`
      }
    ]
  })
}

const diskFiles: ManifestFiles = {
  exists: existsSync,
  inherited(manifestPath, table, key) {
    try {
      const manifest = parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>
      const entry = (manifest[table] as Record<string, unknown> | undefined)?.[key]
      return (entry as { workspace?: unknown } | undefined)?.workspace === true
    } catch {
      return false
    }
  }
}

/** The target's manifest rules for every planned crate (what `plan` shows); reads no index. */
export async function manifestCheck(
  plan: Pick<Plan, 'packages'>,
  options: Pick<Options, 'manifestPath' | 'targetRegistry' | 'targetRegistryUrl'>,
  deps: Pick<PreflightDeps, 'cargo' | 'env'>
): Promise<{
  target: LiveTarget
  env: Record<string, string | undefined>
  problems: ManifestProblem[]
}> {
  const target = liveTarget(options, { ...process.env, ...deps.env })
  const env = { ...deps.env, ...target.cargoEnv(undefined) }
  const metadata = await loadMetadata(options.manifestPath, deps.cargo, env)
  return { target, env, problems: manifestProblems(metadata, plan.packages, target, diskFiles) }
}

export interface PreflightSteps {
  /** The target's manifest rules (default on). */
  manifests?: boolean
  /** Planned versions the live index already lists, compared with the sources (default on). */
  live?: boolean
  /** Token for reading a private live registry. */
  liveToken?: string
}

/**
 * Reads the manifests and the live index; never throws for what the live registry says. Publish
 * mode runs the two steps apart: the manifests before its verification build, the live versions
 * after it (so a download the build needs is not spent on the comparison first).
 */
export async function preflight(
  plan: Plan,
  options: Pick<Options, 'manifestPath' | 'targetRegistry' | 'targetRegistryUrl' | 'stateDir'>,
  deps: PreflightDeps,
  steps: PreflightSteps = {}
): Promise<PreflightReport> {
  const checked = await manifestCheck(plan, options, deps)
  const { target, env } = checked
  const problems = steps.manifests === false ? [] : checked.problems
  if (steps.live === false) return { target, problems, live: new Map(), resumed: [], unknown: [] }
  const liveToken = steps.liveToken
  const live = await compareLiveVersions(plan.packages, {
    indexUrl: target.indexUrl,
    ...(liveToken && !target.isCratesIo ? { token: liveToken } : {}),
    fetch: deps.fetch,
    cargo: deps.cargo,
    env,
    workspaceRoot: plan.workspaceRoot,
    // The run's own records are never part of the local side (they are never packaged).
    stateDir: resolveStateDir(options, plan.workspaceRoot)
  })
  problems.push(...liveVersionProblems(plan.packages, live, target.name))
  const lines = (kind: LiveVersion['kind']) =>
    plan.packages.flatMap(c => {
      const state = live.get(c.name)
      const line = state?.kind === kind ? describeLiveVersion(c, state, target.name) : undefined
      return line ? [line] : []
    })
  return { target, problems, live, resumed: lines('same'), unknown: lines('unknown') }
}

/** The run's failure when the preflight found problems: all of them, in one message. */
export function preflightFailure(problems: readonly ManifestProblem[], target: string): Failure {
  const crates = new Set(problems.map(p => p.crate))
  return {
    class: 'permanent',
    message: `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${crates.size} crate${crates.size === 1 ? '' : 's'} that '${target}' would refuse, found before any upload: ${problems.map(describeProblem).join('; ')}`,
    hint: 'fix every problem listed (each names the crate, the field and the fix), then run again; nothing was uploaded'
  }
}

/**
 * Packaged crates over crates.io's upload limit (`cargo package` output in `targetDir`). Only
 * crates.io's limit is known; another target's is its own.
 */
export async function oversizeCrates(
  plan: Pick<Plan, 'packages' | 'registry'>,
  targetDir: string
): Promise<ManifestProblem[]> {
  if (plan.registry !== CRATES_IO.name) return []
  const sizes = await Promise.all(
    plan.packages.map(async c => ({
      name: c.name,
      version: c.version,
      bytes: (await stat(join(targetDir, 'package', `${c.name}-${c.version}.crate`))).size
    }))
  )
  return oversizeProblems(sizes)
}

export { describeProblem, privateDependencyFailure } from './manifest.js'
export type { ManifestProblem } from './manifest.js'
export type { LiveVersion } from './live-versions.js'
