import * as core from '@actions/core'
import { interruptible } from './cargo/interrupt.js'
import { runCargo } from './cargo/run.js'
import { watchCargo } from './cargo/watch.js'
import { systemClock } from './clock.js'
import type { RunContext } from './context.js'
import { UserError, describeError } from './errors.js'
import { failureAnnotation } from './github/annotations.js'
import { loadActionsCache } from './github/cache.js'
import { defaultArtifacts, runInWorkflow } from './github/workflow.js'
import type { Logger } from './log.js'
import { runGit } from './checkout/git.js'
import { INPUTS } from './options/inputs.js'
import { parseOptions } from './options/parse.js'
import { resultExitCode, resultOutputs } from './outputs.js'

/**
 * Secrets registered so far. The runner masks them in the log it shows, but this process's own
 * output must not carry them either: cargo's output echoed into the log may quote a token (a
 * registry repeating it in an error body).
 */
const registeredSecrets = new Set<string>()

function masked(line: string): string {
  let out = line
  for (const secret of registeredSecrets) out = out.split(secret).join('***')
  return out
}

export const actionLogger: Logger = {
  info: m => core.info(m),
  warning: (m, where) => core.warning(m, where?.file ? { file: where.file } : {}),
  error: (m, where) => core.error(m, where?.file ? { file: where.file } : {}),
  debug: m => core.debug(m),
  secret: v => {
    if (!v) return
    registeredSecrets.add(v)
    core.setSecret(v)
  }
}

function actionContext(): RunContext {
  return {
    logger: actionLogger,
    // A cancelled job's readiness wait ends with the run, not minutes later.
    clock: {
      now: () => systemClock.now(),
      sleep: (ms, cut) => interruptible(systemClock.sleep(ms, cut))
    },
    // cargo's output in the log, one ::group:: per command, and a progress line while it works.
    cargo: watchCargo(runCargo, {
      progress: line => core.info(masked(line)),
      now: () => systemClock.now(),
      groups: { write: line => core.info(masked(line)) }
    }),
    git: runGit,
    fetch: globalThis.fetch.bind(globalThis),
    env: {},
    random: Math.random,
    progress: line => core.info(line)
  }
}

/** The action's front door: inputs in, outputs and one failure line out. No logic of its own. */
export async function run(): Promise<void> {
  try {
    const raw = Object.fromEntries(INPUTS.map(i => [i.name, core.getInput(i.name)]))
    // Masked before parsing, so not even a parse error can print one.
    for (const input of INPUTS) {
      const value = raw[input.name] ?? ''
      if (input.kind === 'secret' && value !== input.default) actionLogger.secret(value)
    }
    const options = await parseOptions(raw, {
      cwd: process.env.GITHUB_WORKSPACE || process.cwd(),
      env: process.env
    })
    const result = await runInWorkflow(options, actionContext(), {
      env: process.env,
      summary: core,
      annotate: (message, properties) => core.error(message, properties),
      state: core,
      cacheService: loadActionsCache,
      artifacts: defaultArtifacts(process.env)
    })
    const outputs = resultOutputs(
      result,
      result.artifactId === undefined ? '' : String(result.artifactId)
    )
    for (const [name, value] of Object.entries(outputs)) core.setOutput(name, value)
    if (resultExitCode(result) !== 0) {
      // runInWorkflow raised the failure as an annotation already; saying it twice is noise.
      if (failureAnnotation(result, process.env)) process.exitCode = 1
      else core.setFailed(`outcome: ${result.outcome}`)
    }
  } catch (error) {
    core.setFailed(describeError(error))
    process.exitCode = error instanceof UserError ? error.exitCode : 1
  }
}
