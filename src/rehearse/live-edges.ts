import type { RunContext } from '../context.js'
import type { Options } from '../options/types.js'
import { checkDroppedDevEdges } from '../plan/index.js'
import type { Plan } from '../plan/types.js'
import { liveTarget } from '../target/live.js'
import { readSparseSnapshot, type IndexSnapshot } from '../target/snapshot.js'

/**
 * A dropped dev-dependency edge resolves from the live registry at publish time, so a version it
 * can resolve to must be there already (publish mode checks the same before uploading).
 */
export async function checkLiveDevEdges(
  plan: Plan,
  options: Options,
  ctx: RunContext,
  liveIndex: Promise<IndexSnapshot> | undefined
): Promise<void> {
  if (plan.droppedDevEdges.length === 0) return
  const snapshot = await (liveIndex ??
    readSparseSnapshot(
      liveTarget(options).indexUrl,
      plan.droppedDevEdges.map(e => e.to),
      { fetch: ctx.fetch }
    ))
  const warnings = await checkDroppedDevEdges(plan, async name => snapshot.resolvableVersions(name))
  for (const warning of warnings) ctx.logger.warning(warning)
}
