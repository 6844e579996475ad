import { UserError } from '../errors.js'
import type { CargoRunner } from '../cargo/run.js'
import { resolveApiBase } from '../target/api-base.js'
import { loadMetadata } from './metadata.js'
import { buildPlan, type PlanDraft } from './plan.js'
import { computePlanId } from './plan-id.js'
import type { Plan } from './types.js'

export interface PlanInputs {
  manifestPath: string
  /** Selected crate names; empty = every publishable member. */
  packages: string[]
  targetRegistry: string
  /** Empty for crates.io (or to read `CARGO_REGISTRIES_<NAME>_INDEX`). */
  targetRegistryUrl: string
}

export interface PlanDeps {
  cargo?: CargoRunner
  fetch?: typeof fetch
  env?: Record<string, string | undefined>
}

/** The full plan of a workspace: metadata, order, API base and plan_id. */
export async function computePlan(inputs: PlanInputs, deps: PlanDeps = {}): Promise<Plan> {
  const metadata = await loadMetadata(inputs.manifestPath, deps.cargo, deps.env)
  const draft = buildPlan(metadata, {
    packages: inputs.packages,
    targetRegistry: inputs.targetRegistry
  })
  const apiBase = await resolveApiBase(inputs.targetRegistry, inputs.targetRegistryUrl, {
    fetch: deps.fetch ?? globalThis.fetch,
    env: deps.env === undefined ? process.env : { ...process.env, ...deps.env }
  })
  return { ...draft, apiBase, planId: planIdOf(apiBase, draft) }
}

/** shipper's plan_id of a plan: its crates hashed in shipper's order, not the publish order. */
export function planIdOf(
  apiBase: string,
  draft: Pick<PlanDraft, 'packages' | 'shipperOrder'>
): string {
  const byName = new Map(draft.packages.map(p => [p.name, p]))
  return computePlanId(
    apiBase,
    draft.shipperOrder.map(name => byName.get(name)!)
  )
}

export { computeContentDigest, crateDigest, WORKSPACE_ENTRY } from './digest.js'
export type { DigestDeps, DigestEntry } from './digest.js'
export { checkDroppedDevEdges, liveIndexNames } from './dropped-edges.js'
export type { VersionsOf } from './dropped-edges.js'
export { formatPlanText, planToJson } from './format.js'
export type { PlanJson } from './format.js'
export { loadMetadata, parseMetadata } from './metadata.js'
export type { CargoMetadata } from './metadata.js'
export { buildPlan, byteCompare } from './plan.js'
export type { PlanDraft, PlanRequest } from './plan.js'
export { computePlanId } from './plan-id.js'
export { matchesReq, parseVersion } from '../util/semver.js'
export type * from './types.js'

/** Rehearsing or publishing nothing is a mistake in the input, not a success. */
export function assertPlanNotEmpty(plan: Plan): void {
  if (plan.packages.length > 0) return
  const skipped = plan.skipped.map(s => `${s.name} (${s.reason})`).join(', ')
  throw new UserError(
    `no publishable crate in the plan for '${plan.registry}'${skipped ? `: skipped ${skipped}` : ''}`,
    'check the `publish` field of the crates (and `target-registry`), or the `packages` input',
    2
  )
}
