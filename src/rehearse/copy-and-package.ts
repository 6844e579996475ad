/**
 * The scratch copy and its packaging: copy what the digest lists, point the manifests at the
 * rehearsal registry, then package and verify the whole plan once and check that what was packaged
 * is what the digest and the live registry's limits allow.
 */
import { join, resolve } from 'node:path'
import { copyForCargo } from '../bind/copy.js'
import { registryEnv } from '../cargo/env.js'
import { resolveStateDir } from '../options/parse.js'
import type { ContentDigest, PlannedCrate } from '../plan/types.js'
import type { CrateStatus } from '../engine/status.js'
import { oversizeCrates, preflightFailure } from '../preflight/index.js'
import type { Failure } from '../result.js'
import type { RehearsalRegistry } from '../target/rehearsal.js'
import { count } from '../util/format.js'
import { checkRehearsedCrates } from './bound.js'
import { failedCrate, packagingFailure } from './failure.js'
import { packagePlan } from './package.js'
import { markPackageFailed, type StepContext } from './report.js'
import { rewriteScratchManifests } from './scratch.js'

export interface ScratchCopy {
  /** The copy's workspace root. */
  copy: string
  targetDir: string
  /** The manifests rewritten for the rehearsal registry. */
  manifests: string[]
  /** For `cargo publish`: the registry token included. */
  uploadEnv: Record<string, string | undefined>
  /** For builds, which run third-party build scripts. */
  buildEnv: Record<string, string | undefined>
}

export async function copyWorkspace(
  { ctx, options, plan }: StepContext,
  scratch: string,
  registry: RehearsalRegistry,
  digest: ContentDigest
): Promise<ScratchCopy> {
  const stateDir = resolveStateDir(options, plan.workspaceRoot)
  const listed = await copyForCargo(plan, digest, join(scratch, 'workspace'), stateDir, ctx.git)
  const copy = listed.workspaceRoot
  const rewrite = rewriteScratchManifests(plan, copy, registry.name)
  ctx.progress(
    `copied ${count(listed.copied, 'file')} of the workspace (${listed.via === 'git' ? 'as git lists them' : 'all but target/ and .git'}); rewrote ${count(rewrite.manifests.length, 'manifest')}`
  )
  for (const change of rewrite.changes) ctx.logger.debug(change)

  const given = ctx.env.CARGO_TARGET_DIR ?? process.env.CARGO_TARGET_DIR
  const targetDir = given ? resolve(given) : join(scratch, 'target')
  // Builds run the workspace's build scripts and its dependencies' (third-party code): they get
  // the registry token only when the registry will not even serve its index without one.
  const uploadEnv = { ...ctx.env, ...registryEnv(registry), CARGO_TARGET_DIR: targetDir }
  const buildEnv = registry.authRequired
    ? uploadEnv
    : { ...ctx.env, ...registryEnv({ ...registry, token: '' }), CARGO_TARGET_DIR: targetDir }
  return { copy, targetDir, manifests: rewrite.manifests, uploadEnv, buildEnv }
}

export interface Packaged {
  /** The sha256 of each packaged .crate (empty when packaging failed). */
  cksums: Map<string, string>
  failure?: Failure
}

/** Package and verify the plan in the copy; a crate found broken is marked failed in `crates`. */
export async function packageAndCheck(
  step: StepContext,
  where: ScratchCopy,
  registry: RehearsalRegistry,
  digest: ContentDigest,
  crates: readonly CrateStatus[]
): Promise<Packaged> {
  const { ctx, plan } = step
  ctx.progress(`packaging and verifying ${count(plan.packages.length, 'crate')} in one cargo run`)
  const packaged = await packagePlan(
    plan,
    registry.name,
    { cargo: ctx.cargo, cwd: where.copy, env: where.buildEnv, targetDir: where.targetDir },
    () => ctx.clock.now()
  )
  if (!packaged.ok) {
    const { crate } = packaged
    const failure = packagingFailure(
      packaged.result.stderr,
      crate,
      plan,
      ctx.clock.now(),
      step.scrub
    )
    if (crate) await markPackageFailed(step, crates, crate, failure.class, failure.message)
    return { cksums: new Map(), failure }
  }
  const cksums = packaged.cksums
  const oversize = await oversizeCrates(plan, where.targetDir)
  if (oversize.length > 0) return { cksums, failure: preflightFailure(oversize, plan.registry) }
  const mismatch = await checkRehearsedCrates(plan, where.targetDir, digest, where.manifests)
  if (!mismatch) return { cksums }
  const crate = plan.packages.find(c => c.name === mismatch.crate.name) as PlannedCrate
  await markPackageFailed(step, crates, crate, 'permanent', mismatch.message)
  return {
    cksums,
    failure: {
      crate: failedCrate(crate),
      class: 'permanent',
      message: mismatch.message,
      hint: mismatch.hint
    }
  }
}
