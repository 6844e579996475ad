/**
 * Plan computation at scale: a generated lattice workspace of `size` crates, `cargo metadata`
 * alone against `computePlan` (metadata + validation + ordering + plan_id), in-process.
 */
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { computePlan } from '../src/plan/index.js'
import { median } from './stats.js'
import { writeWorkspace } from './workspace.js'
import { cargoWorld, outputTail, runTimed } from './world.js'

export interface PlanScaleResult {
  size: number
  levels: number
  runs: number
  metadataMs: number
  computePlanMs: number
  /** computePlan beyond cargo metadata. */
  overheadMs: number
}

export async function measurePlanScale(size: number, runs: number): Promise<PlanScaleResult> {
  const world = cargoWorld('shipper-bench-plan-')
  try {
    const ws = writeWorkspace(join(world.root, 'ws'), { shape: 'lattice', size, units: 1 })
    const metadata: number[] = []
    const plans: number[] = []
    let levels = 0
    // One unmeasured round first: both sides then read a warm page cache.
    for (let i = 0; i <= runs; i++) {
      const run = await runTimed(
        'cargo',
        ['metadata', '--format-version', '1', '--no-deps', '--manifest-path', ws.manifestPath],
        { cwd: ws.root, env: world.env }
      )
      if (run.code !== 0) throw new Error(`cargo metadata failed:\n${outputTail(run)}`)
      const start = performance.now()
      const plan = await computePlan(
        {
          manifestPath: ws.manifestPath,
          packages: [],
          targetRegistry: 'crates-io',
          targetRegistryUrl: ''
        },
        { env: world.env }
      )
      const planMs = performance.now() - start
      if (plan.packages.length !== size) {
        throw new Error(`the plan has ${plan.packages.length} crates, not ${size}`)
      }
      levels = plan.levels.length
      if (i === 0) continue
      metadata.push(run.ms)
      plans.push(planMs)
    }
    const metadataMs = median(metadata)
    const computePlanMs = median(plans)
    return { size, levels, runs, metadataMs, computePlanMs, overheadMs: computePlanMs - metadataMs }
  } finally {
    world.cleanup()
  }
}
