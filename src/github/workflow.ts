import type { RunContext } from '../context.js'
import type { Options } from '../options/types.js'
import { liveIndexNames } from '../plan/dropped-edges.js'
import { computePlan } from '../plan/index.js'
import type { Plan } from '../plan/types.js'
import { publish } from '../publish/index.js'
import { liveTarget, withLiveRegistry } from '../target/live.js'
import { rehearse } from '../rehearse/index.js'
import type { RunResult } from '../result.js'
import { readSparseSnapshot } from '../target/snapshot.js'
import { annotateFailure, type Annotate } from './annotations.js'
import type { ArtifactStore } from '../record/artifacts.js'
import { artifactStoreFromEnv } from './artifact.js'
import {
  cachePaths,
  computeCacheKey,
  defaultCargoHome,
  restoreCache,
  verifyTargetDir,
  type CacheService,
  type StateStore
} from './cache.js'
import { releasePreview, type ReleasePreview } from './preview.js'
import type { Env } from './run-info.js'
import { runUrl } from './run-info.js'
import { pendingStatus, postCommitStatus, statusForResult, type CommitStatus } from './status.js'
import { renderSummary, writeSummary, type SummaryWriter } from './summary.js'

/** The GitHub services a run inside a workflow uses; each replaceable in tests. */
export interface WorkflowDeps {
  env: Env
  summary: { summary: SummaryWriter }
  annotate: Annotate
  state: StateStore
  cacheService: () => Promise<CacheService>
  artifacts: () => Promise<ArtifactStore | undefined>
}

export function defaultArtifacts(env: Env): () => Promise<ArtifactStore | undefined> {
  return () => artifactStoreFromEnv(env)
}

/**
 * A run as the Action does it: commit status, plan, cache, the engine, the artifact, the job
 * summary and annotations. Every GitHub service is best effort except one: a passing rehearsal
 * whose proof the artifact service refused fails, because the publish job could never accept it.
 */
export async function runInWorkflow(
  options: Options,
  baseCtx: RunContext,
  deps: WorkflowDeps
): Promise<RunResult> {
  const ctx = withLiveRegistry(options, baseCtx)
  const status = async (s: CommitStatus) => {
    if (!options.statusCheck) return
    const posted = await postCommitStatus(s, {
      env: deps.env,
      token: options.githubToken,
      fetch: ctx.fetch
    })
    if (!posted.posted) ctx.logger.warning(posted.warning)
  }
  if (options.mode === 'rehearse') await status(pendingStatus())

  let plan: Plan
  try {
    plan = await computePlan(
      {
        manifestPath: options.manifestPath,
        packages: options.packages,
        targetRegistry: options.targetRegistry,
        targetRegistryUrl: options.targetRegistryUrl
      },
      { cargo: ctx.cargo, fetch: ctx.fetch, env: ctx.env }
    )
  } catch (error) {
    if (options.mode === 'rehearse') {
      const message = error instanceof Error ? error.message : String(error)
      await status({ state: 'error', description: `no plan: ${message}`.slice(0, 140) })
    }
    throw error
  }

  const engineCtx = await withCache(options, ctx, deps, plan)
  let result: RunResult
  let preview: ReleasePreview | undefined
  const artifacts = await deps.artifacts()
  const engineDeps = { plan, ...(artifacts ? { artifacts } : {}) }
  if (options.mode === 'rehearse') {
    // One reading of the live index for this phase: the engine's dropped-edge check and the
    // release preview both use it.
    const liveIndexUrl = liveTarget(options).indexUrl
    // Without a rehearsal there is no preview: only the dropped edges' targets are looked up.
    const names = options.skipRehearsal ? plan.droppedDevEdges.map(e => e.to) : liveIndexNames(plan)
    const liveIndex = readSparseSnapshot(liveIndexUrl, names, { fetch: ctx.fetch })
    const previewing = options.skipRehearsal
      ? Promise.resolve(undefined)
      : releasePreview(plan, { liveIndexUrl, snapshot: liveIndex })
    result = await rehearse(options, engineCtx, { ...engineDeps, liveIndex })
    preview = await previewing
  } else {
    result = await publish(options, engineCtx, engineDeps)
  }

  const url = runUrl(deps.env)
  const markdown = renderSummary(result, {
    ...(preview ? { preview } : {}),
    ...(url ? { runUrl: url } : {}),
    bypassed: result.gate?.bypassed ?? result.outcome === 'skipped'
  })
  if (deps.env.GITHUB_STEP_SUMMARY) {
    await writeSummary(markdown, deps.summary).catch((error: unknown) => {
      ctx.logger.warning(
        `job summary not written: ${error instanceof Error ? error.message : String(error)}`
      )
    })
  }
  annotateFailure(result, deps.env, deps.annotate)
  if (options.mode === 'rehearse') await status(statusForResult(result))
  return result
}

/** Restores the cargo caches and points verification at the cached target dir. */
async function withCache(
  options: Options,
  ctx: RunContext,
  deps: WorkflowDeps,
  plan: Plan
): Promise<RunContext> {
  if (!options.cache) return ctx
  const targetDir =
    ctx.env.CARGO_TARGET_DIR ?? deps.env.CARGO_TARGET_DIR ?? verifyTargetDir(deps.env)
  const key = await computeCacheKey({
    planId: plan.planId,
    workspaceRoot: plan.workspaceRoot,
    env: deps.env
  })
  const cargoHome = ctx.env.CARGO_HOME ?? defaultCargoHome(deps.env)
  await restoreCache(key, cachePaths(cargoHome, targetDir), {
    service: deps.cacheService,
    env: deps.env,
    state: deps.state,
    logger: ctx.logger
  })
  return { ...ctx, env: { ...ctx.env, CARGO_TARGET_DIR: targetDir } }
}
