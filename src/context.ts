import type { CargoRunner } from './cargo/run.js'
import type { GitRunner } from './checkout/git.js'
import type { Clock } from './clock.js'
import type { Logger } from './log.js'

/** The effects a run may use, injected so tests can replace the ones that are not cargo. */
export interface RunContext {
  logger: Logger
  clock: Clock
  cargo: CargoRunner
  git: GitRunner
  fetch: typeof fetch
  /** Extra environment for every cargo call (tests pass their sandbox here). */
  env: Record<string, string | undefined>
  /** Source of randomness for jitter (tests pin it). */
  random: () => number
  /** Called with progress lines meant for a human watching (CLI prints them, action logs them). */
  progress: (line: string) => void
}
