/**
 * The smoke step: `cargo install` each `smoke-install` crate, then build a consumer of every
 * library crate, all from the rehearsal registry; the first failure stops the step.
 */
import { join } from 'node:path'
import { cargoEvidence } from '../cargo/diagnostics.js'
import { cargoErrorLine } from '../plan/cargo-error.js'
import type { PlannedCrate } from '../plan/types.js'
import { ALL_PACKAGES, packageKey } from '../record/events.js'
import type { Failure, SmokeCheck } from '../result.js'
import type { RehearsalRegistry } from '../target/rehearsal.js'
import { count } from '../util/format.js'
import { failedCrate } from './failure.js'
import type { StepContext } from './report.js'
import {
  CONSUMER_NAME,
  CONSUMER_VERSION,
  consumerCrates,
  smokeBuild,
  smokeInstall,
  type SmokeResult
} from './smoke.js'

/** Each check done is added to `checks` as it ends, so an interrupted step still records them. */
export async function runSmokeChecks(
  step: StepContext,
  smokeCrates: readonly PlannedCrate[],
  where: { scratch: string; env: Record<string, string | undefined>; registry: RehearsalRegistry },
  checks: SmokeCheck[]
): Promise<Failure | undefined> {
  const { ctx, plan, options } = step
  const smokeRun = {
    cargo: ctx.cargo,
    env: where.env,
    registryName: where.registry.name,
    dir: join(where.scratch, 'smoke')
  }
  const now = () => ctx.clock.now()
  for (const crate of smokeCrates) {
    ctx.progress(`smoke: cargo install ${crate.name}@${crate.version} from the rehearsal registry`)
    const failure = await smokeCheck(
      step,
      checks,
      crate.name,
      crate.version,
      packageKey(crate.name, crate.version),
      () => smokeInstall(crate, smokeRun, now)
    )
    if (failure) return { ...failure, crate: failedCrate(crate) }
  }
  if (!options.smokeBuild) return undefined
  const libs = consumerCrates(plan)
  if (libs.length === 0) {
    ctx.logger.warning('smoke-build: the plan has no library crate to build a consumer of')
    return undefined
  }
  ctx.progress(
    `smoke: building a consumer of ${count(libs.length, 'library crate')} from the rehearsal registry`
  )
  return smokeCheck(step, checks, CONSUMER_NAME, CONSUMER_VERSION, ALL_PACKAGES, () =>
    smokeBuild(libs, smokeRun, now)
  )
}

async function smokeCheck(
  step: StepContext,
  checks: SmokeCheck[],
  name: string,
  version: string,
  key: string,
  check: () => Promise<SmokeResult>
): Promise<Failure | undefined> {
  const { recorder, scrub } = step
  await recorder.emit(
    { type: 'rehearsal_smoke_check_started', name, version, registry: step.options.registryName },
    key
  )
  const result = await check()
  const durationMs = Math.round(result.durationMs)
  checks.push({
    kind: name === CONSUMER_NAME ? 'build' : 'install',
    name,
    version,
    ok: result.ok,
    durationMs
  })
  if (result.ok) {
    await recorder.emit(
      { type: 'rehearsal_smoke_check_succeeded', name, version, duration_ms: durationMs },
      key
    )
    return undefined
  }
  const what = name === CONSUMER_NAME ? 'the consumer build' : `cargo install ${name}@${version}`
  const message = scrub(
    `smoke check failed: ${what}: ${result.problem ?? cargoErrorLine(result.result.stderr)}`
  )
  await recorder.emit({ type: 'rehearsal_smoke_check_failed', name, version, message }, key)
  return {
    class: 'permanent',
    message,
    hint: 'users installing or depending on these versions from crates.io would hit the same failure',
    stderrTail: scrub(cargoEvidence(result.result.stderr))
  }
}
