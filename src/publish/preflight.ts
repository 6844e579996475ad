/**
 * The checks publish mode makes after the gate and before the first upload. Each returns the
 * failure that stops the release (nothing uploaded), or nothing; none throws for control flow.
 */
import { classifyCargoFailure } from '../cargo/classify.js'
import { cargoEvidence } from '../cargo/diagnostics.js'
import type { RunContext } from '../context.js'
import { UserError } from '../errors.js'
import type { Options } from '../options/types.js'
import { cargoErrorLine } from '../plan/cargo-error.js'
import { checkDroppedDevEdges, liveIndexNames } from '../plan/index.js'
import type { Plan, PlannedCrate } from '../plan/types.js'
import { privateDependencyFailure } from '../preflight/index.js'
import type { Failure } from '../result.js'
import { unresolvedFailure, unresolvedHost } from '../sparse/dns.js'
import type { LiveTarget } from '../target/live.js'
import { readIndexSnapshot, type IndexSnapshot } from '../target/snapshot.js'
import type { LivePort } from './executor.js'
import { verifyCrates, type LiveDeps } from './live.js'
import { retryDelayMs } from './retry.js'

/** A check's verdict: the release may go on (with the check's value), or stops with a failure. */
export type Checked<T> = { ok: true; value: T } | { ok: false; failure: Failure }

/** An input error from a step becomes the run's failure; anything else still throws. */
export async function inputCheck(step: () => Promise<unknown>): Promise<Failure | undefined> {
  try {
    await step()
    return undefined
  } catch (error) {
    if (!(error instanceof UserError)) throw error
    return { class: 'input', message: error.message, hint: error.hint }
  }
}

/**
 * What the live index holds of the plan (and of the dropped edges' targets), each crate read once.
 * A transient index error is retried like an upload's: one 5xx must not abort the release.
 */
export async function firstLook(
  plan: Plan,
  live: Pick<LivePort, 'entries'>,
  target: LiveTarget,
  options: Pick<Options, 'maxAttempts' | 'retryBaseMs' | 'retryMaxMs'>,
  ctx: Pick<RunContext, 'clock' | 'random' | 'logger'>,
  scrub: (text: string) => string
): Promise<Checked<IndexSnapshot>> {
  const snapshot = await readIndexSnapshot(liveIndexNames(plan), name => live.entries(name), {
    retry: {
      maxAttempts: options.maxAttempts,
      clock: ctx.clock,
      delayMs: attempt =>
        retryDelayMs({
          attempt,
          baseMs: options.retryBaseMs,
          maxMs: options.retryMaxMs,
          random: ctx.random
        }),
      onRetry: (name, error, delay) =>
        ctx.logger.warning(
          `reading ${name} from the live index failed (${scrub(error.message)}); retrying in ${Math.round(delay / 1000)}s`
        ),
      final: error => unresolvedHost(error) !== undefined
    }
  })
  const unreadable = snapshot.firstFailure(plan.packages.map(c => c.name))
  if (!unreadable) return { ok: true, value: snapshot }
  const host = unresolvedHost(unreadable.error)
  if (host) return { ok: false, failure: unresolvedFailure(host, target.name) }
  return {
    ok: false,
    failure: {
      class: 'retryable',
      message: `could not read the live index of '${target.name}': ${scrub(unreadable.error.message)}`,
      hint: 'nothing was uploaded; rerun when the registry answers'
    }
  }
}

/** The dropped dev-dependency edges against the same reading; an unreadable target only warns. */
export function checkDevEdges(
  plan: Plan,
  snapshot: IndexSnapshot,
  ctx: Pick<RunContext, 'logger'>
): Promise<Failure | undefined> {
  return inputCheck(async () => {
    const warnings = await checkDroppedDevEdges(plan, async name =>
      snapshot.resolvableVersions(name)
    )
    for (const warning of warnings) ctx.logger.warning(warning)
  })
}

/** Trusted publishing cannot create a crate: a first release needs a regular token. */
export function checkNewCrates(
  remaining: readonly PlannedCrate[],
  snapshot: IndexSnapshot,
  trustedPublishing: boolean,
  target: LiveTarget
): Failure | undefined {
  const brandNew = remaining.filter(c => (snapshot.entries(c.name)?.length ?? 0) === 0)
  if (!trustedPublishing || brandNew.length === 0) return undefined
  const names = brandNew.map(c => c.name).join(', ')
  const one = brandNew.length === 1
  return {
    class: 'input',
    message: `trusted publishing cannot create new crates, and ${names} ${one ? 'is' : 'are'} not on '${target.name}' yet; nothing was uploaded`,
    hint: `publish the first version of ${names} with a regular token (\`token\` or ${target.tokenEnvVar}) and configure trusted publishing for ${one ? 'it' : 'them'}; later releases can use trusted publishing`
  }
}

/** Whether the publish compiles before uploading (`verify` input), and why, for the log and the record. */
export interface Verification {
  mode: Options['verify']
  built: boolean
  reason: string
}

/**
 * `verify: auto` skips cargo's verification build when the gate accepted a content-bound proof:
 * under `bind: content` the gate has checked that the rehearsal packaged these exact sources (and
 * the lock) with this toolchain, and the rehearsal compiled them. Anything less compiles. The
 * uploaded bytes are the same either way: they come from the upload copy, checked before each
 * upload. Pure.
 */
export function chooseVerification(
  options: Pick<Options, 'verify' | 'bind'>,
  bypassed: boolean
): Verification {
  const mode = options.verify
  if (mode === 'always') {
    return { mode, built: true, reason: 'verify: always compiles before uploading' }
  }
  if (options.bind !== 'content') {
    return {
      mode,
      built: true,
      reason: 'bind: plan proves no sources were compiled, so the build runs'
    }
  }
  if (bypassed) {
    return {
      mode,
      built: true,
      reason: 'the rehearsal was bypassed: nothing compiled these sources yet'
    }
  }
  return {
    mode,
    built: false,
    reason:
      'the gate accepted a content-bound rehearsal of these exact sources made with this toolchain, which compiled them'
  }
}

/**
 * One verification build of everything left to upload, in the copy made for it (`verifyDeps`);
 * the command a user reruns names their own manifest (`manifestPath`), not the copy's.
 */
export async function verifyRemaining(
  remaining: readonly PlannedCrate[],
  verifyDeps: LiveDeps,
  context: { plan: Plan; target: LiveTarget; manifestPath: string },
  ctx: Pick<RunContext, 'progress'>,
  scrub: (text: string) => string
): Promise<Failure | undefined> {
  if (remaining.length === 0) return undefined
  ctx.progress(
    `verifying ${remaining.length} crate${remaining.length === 1 ? '' : 's'} before any upload`
  )
  const verified = await verifyCrates([...remaining], verifyDeps)
  if (verified.exitCode === 0) return undefined
  const privateDep = privateDependencyFailure(
    verified.stderr,
    context.plan.packages,
    context.target
  )
  if (privateDep) return { class: 'permanent', ...privateDep }
  // A registry that failed to serve a download is not a broken build.
  const transient = classifyCargoFailure(verified.stderr).class === 'retryable'
  return {
    class: transient ? 'retryable' : 'permanent',
    message: `verification failed before any upload: ${scrub(cargoErrorLine(verified.stderr))}`,
    hint: transient
      ? 'a registry did not answer while cargo fetched dependencies; nothing was uploaded, rerun when it does'
      : `fix the build, then rerun; \`${verified.command.replace(verifyDeps.manifestPath, context.manifestPath)}\` reproduces it`,
    stderrTail: scrub(cargoEvidence(verified.stderr))
  }
}
