import type { CrateStatus } from '../engine/status.js'
import type { Failure } from '../result.js'
import type { CrateRun } from './executor.js'

/** Which crates went out, which did not, and that a rerun is safe. */
export function describeStop(
  stopped: CrateRun,
  runs: readonly CrateRun[],
  records: readonly CrateStatus[],
  targetName: string
): Failure {
  const key = `${stopped.crate.name}@${stopped.crate.version}`
  const error = stopped.failure ?? { class: 'permanent' as const, message: 'failed' }
  const uploaded = runs.filter(r => r.uploaded).map(r => `${r.crate.name}@${r.crate.version}`)
  const notOut = records.filter(
    r =>
      r.status === 'pending' ||
      (r.status === 'failed' && !runs.find(x => x.crate.name === r.name)?.uploaded)
  )
  const parts = [
    `uploaded by this run: ${uploaded.length > 0 ? uploaded.join(', ') : 'none'}`,
    `already there: ${listOf(records, 'skipped')}`,
    `not published: ${notOut.length > 0 ? notOut.map(r => `${r.name}@${r.version}`).join(', ') : 'none'}`
  ]
  return {
    crate: {
      name: stopped.crate.name,
      version: stopped.crate.version,
      manifestPath: stopped.crate.manifestPath
    },
    class: error.class,
    message: `${key}: ${error.message}. ${parts.join('; ')}`,
    hint: `fix the cause and rerun the publish: versions already on '${targetName}' are skipped, so rerunning is safe`,
    ...(stopped.failure?.stderrTail ? { stderrTail: stopped.failure.stderrTail } : {})
  }
}

function listOf(records: readonly CrateStatus[], status: CrateStatus['status']): string {
  const names = records.filter(r => r.status === status).map(r => `${r.name}@${r.version}`)
  return names.length > 0 ? names.join(', ') : 'none'
}
