import * as core from '@actions/core'
import { loadActionsCache, saveCache } from './github/cache.js'
import type { Logger } from './log.js'
import { keepWasmOnBaselineCompiler } from './util/wasm-tiering.js'

keepWasmOnBaselineCompiler()

/** Only what saving a cache logs; main's logger would drag the whole engine into this bundle. */
const logger: Logger = {
  info: m => core.info(m),
  warning: m => core.warning(m),
  error: m => core.error(m),
  debug: m => core.debug(m),
  secret: v => core.setSecret(v)
}

/**
 * The action's post step: saves the cargo caches the main step restored. It never fails the job:
 * the release already succeeded or failed in the main step.
 */
void saveCache({ service: loadActionsCache, env: process.env, state: core, logger }).catch(
  (error: unknown) => {
    core.warning(`cache: ${error instanceof Error ? error.message : String(error)}`)
  }
)
