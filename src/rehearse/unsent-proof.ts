import type { RunResult } from '../result.js'

/**
 * Pure: the verdict on a rehearsal whose proof did not reach the artifact service. The publish
 * job can only see the artifact, so a passing rehearsal without one has proven nothing it will
 * accept: passing it would turn a required check green for a release that will be refused. A
 * rehearsal that already failed or was skipped keeps its verdict.
 */
export function withUnsentProof(result: RunResult, artifactName: string, cause: string): RunResult {
  if (result.outcome !== 'passed') return result
  return {
    ...result,
    outcome: 'failed',
    failure: {
      class: 'retryable',
      message: `the rehearsal passed, but its proof (artifact '${artifactName}') could not be uploaded: ${cause}`,
      hint:
        're-run this job once the artifact service accepts uploads (if the storage quota is hit, ' +
        'delete old artifacts or lower `retention-days`): the publish job refuses to publish ' +
        'without this artifact'
    }
  }
}
