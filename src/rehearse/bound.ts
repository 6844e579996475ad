import { checkPackagedCrates, describeDifference, type CrateDifference } from '../bind/compare.js'
import type { ContentDigest, Plan } from '../plan/types.js'
import { manifestFromRoot } from './scratch.js'

/**
 * The proof that the rehearsal packaged what a publish from the checkout packages: every
 * rehearsed `.crate` holds exactly the digest's files (names, bytes, modes), cargo's own files
 * and the manifests the copy rewrote aside.
 */
export async function checkRehearsedCrates(
  plan: Plan,
  targetDir: string,
  digest: ContentDigest,
  rewrittenManifests: readonly string[]
): Promise<{ crate: CrateDifference['crate']; message: string; hint: string } | undefined> {
  const rewritten = new Set(rewrittenManifests)
  const difference = await checkPackagedCrates(plan.packages, targetDir, digest, crate =>
    rewritten.has(manifestFromRoot(plan.workspaceRoot, crate.manifestPath))
  )
  if (!difference) return undefined
  return {
    crate: difference.crate,
    message: `the rehearsal packaged other files than a publish from this checkout would: ${describeDifference(difference)}`,
    hint: 'the rehearsal copy does not reproduce how cargo lists this checkout; please report it with the file named here'
  }
}
