import { UserError } from '../errors.js'
import { matchesReq } from '../util/semver.js'
import type { Plan } from './types.js'

/**
 * Versions of a crate already on the live registry (cargo resolves only non-yanked ones, so pass
 * those), or null when the index could not be read.
 */
export type VersionsOf = (name: string) => Promise<string[] | null>

/**
 * A dropped dev-dependency edge must resolve from versions the live registry already has. Fails
 * early (exit 1) when the index is readable and holds no matching version; an unreadable index
 * gives a warning instead, returned for the caller to log.
 */
export async function checkDroppedDevEdges(
  plan: Pick<Plan, 'droppedDevEdges' | 'registry'>,
  versionsOf: VersionsOf
): Promise<string[]> {
  const warnings: string[] = []
  for (const edge of plan.droppedDevEdges) {
    const versions = await versionsOf(edge.to)
    if (versions === null) {
      warnings.push(
        `could not read ${edge.to} from the ${plan.registry} index: the dev-dependency of ${edge.from} on ${edge.to} ${edge.req} must resolve from a version already published there`
      )
    } else if (!versions.some(v => matchesReq(edge.req, v))) {
      const known = versions.length > 0 ? `it has ${versions.join(', ')}` : 'it has none'
      throw new UserError(
        `${edge.from} dev-depends on ${edge.to} ${edge.req}, which must resolve from versions already on ${plan.registry}, and none matches (${known})`,
        `drop the version from the dev-dependency of ${edge.from} on ${edge.to} (keep only its path) so cargo strips it when publishing`,
        1
      )
    }
  }
  return warnings
}

/** Every crate a phase reads from the live index: the planned ones and the dropped edges' targets. */
export function liveIndexNames(plan: Pick<Plan, 'packages' | 'droppedDevEdges'>): string[] {
  return [...new Set([...plan.packages.map(c => c.name), ...plan.droppedDevEdges.map(e => e.to)])]
}
