import type { RunContext } from '../context.js'
import { reported } from '../engine/status.js'
import type { Options } from '../options/types.js'
import { uploadRecord } from '../record/artifacts.js'
import { EVENTS_FILE } from '../record/events.js'
import { FACTS_FILE } from '../record/facts.js'
import { RECEIPT_FILE, writeReceipt } from '../record/receipt.js'
import { REHEARSAL_FILE } from '../record/rehearsal.js'
import type { RunRecorder } from '../record/recorder.js'
import type { RunResult } from '../result.js'
import { CARGO_LOG } from '../cargo/log.js'
import { isoTime } from '../util/format.js'
import type { GateReport } from './gating.js'
import { buildReceipt } from './record.js'
import type { SessionOutcome } from './session.js'

export interface Concluding {
  options: Options
  ctx: RunContext
  report: GateReport
  recorder: RunRecorder
  startedAt: string
  cargoLogPath: string
}

/**
 * Writes publish-record.json, uploads the `<artifact-name>-publish` artifact when crates may
 * have gone out, and says what happened.
 */
export async function concludePublish(
  run: Concluding,
  outcome: SessionOutcome
): Promise<RunResult> {
  const { options, ctx, report, recorder, startedAt } = run
  const { decision, plan, digest, stateDir, target } = report
  const completedAt = isoTime(ctx.clock.now())
  const receiptPath = await writeReceipt(
    stateDir,
    buildReceipt({
      plan,
      digest,
      startedAt,
      completedAt,
      result: outcome.result,
      records: outcome.records,
      gate:
        decision.decision === 'refuse'
          ? {
              decision: 'refuse',
              reason: `${decision.message} (${decision.hint})`,
              bypassed: false
            }
          : { decision: 'proceed', reason: decision.message, bypassed: decision.bypassed },
      ...(outcome.verification ? { verification: outcome.verification } : {})
    }),
    recorder.secrets
  )
  // A refusal uploads nothing; a dry run leaves no record that could be mistaken for a release.
  const upload =
    outcome.result === 'refused' || outcome.result === 'dry_run'
      ? undefined
      : await uploadRecord(
          report.artifacts,
          {
            name: `${options.artifactName}-publish`,
            stateDir,
            files: [REHEARSAL_FILE, EVENTS_FILE, FACTS_FILE, RECEIPT_FILE, CARGO_LOG],
            ...(options.retentionDays !== undefined ? { retentionDays: options.retentionDays } : {})
          },
          ctx.logger
        )
  // The crates are out either way: a record that could not be uploaded is a warning.
  if (upload?.kind === 'failed') {
    ctx.logger.warning(
      `artifact: uploading ${options.artifactName}-publish failed: ${upload.cause}`
    )
  }
  const artifactId = upload?.kind === 'uploaded' ? upload.id : undefined

  const published = outcome.runs
    .filter(r => r.uploaded)
    .map(r => ({ name: r.crate.name, version: r.crate.version }))
  if (outcome.outcome === 'published' && published.length === 0)
    ctx.progress(
      `already published, nothing uploaded: every planned version is on '${target.name}'`
    )
  return {
    mode: 'publish',
    outcome: outcome.outcome,
    plan,
    digest,
    packages: outcome.records.map(reported),
    published,
    stateDir,
    receiptPath,
    eventsPath: recorder.eventsPath,
    ...(outcome.failure ? { failure: outcome.failure } : {}),
    cargoLog: run.cargoLogPath,
    registry: { name: target.name, url: plan.apiBase, embedded: false },
    gate:
      decision.decision === 'refuse'
        ? { decision: 'refuse', bypassed: false, message: decision.message }
        : { decision: 'proceed', bypassed: decision.bypassed, message: decision.message },
    ...(artifactId !== undefined ? { artifactId } : {}),
    startedAt,
    completedAt
  }
}
