import { systemClock } from '../clock.js'
import { interruptible } from '../cargo/interrupt.js'
import { runCargo } from '../cargo/run.js'
import { watchCargo } from '../cargo/watch.js'
import type { RunContext } from '../context.js'
import { runGit } from '../checkout/git.js'
import type { Logger } from '../log.js'
import type { Options } from '../options/types.js'
import type { ArtifactStore } from '../record/artifacts.js'

export interface Terminal {
  out(line: string): void
  err(line: string): void
}

/** A subcommand that runs an engine: options, context and the services found here in; exit code out. */
export type EngineCommand = (
  options: Options,
  ctx: RunContext,
  term: Terminal,
  deps?: { artifacts?: ArtifactStore }
) => Promise<number>

export const processTerminal: Terminal = {
  out: line => void process.stdout.write(`${line}\n`),
  err: line => void process.stderr.write(`${line}\n`)
}

/** A logger for the command line: secrets are masked before anything reaches the terminal. */
export function terminalLogger(term: Terminal): Logger & { mask(text: string): string } {
  const secrets = new Set<string>()
  const mask = (s: string) => {
    let out = s
    for (const v of secrets) out = out.split(v).join('***')
    return out
  }
  return {
    mask,
    info: m => term.err(mask(m)),
    warning: m => term.err(`warning: ${mask(m)}`),
    error: m => term.err(`error: ${mask(m)}`),
    debug: m => {
      if (process.env.SHIPPER_DEBUG) term.err(`debug: ${mask(m)}`)
    },
    secret: v => {
      if (v) secrets.add(v)
    }
  }
}

export function terminalContext(term: Terminal): RunContext {
  const logger = terminalLogger(term)
  return {
    logger,
    // A readiness wait ends with the run when it is interrupted, not minutes later.
    clock: {
      now: () => systemClock.now(),
      sleep: (ms, cut) => interruptible(systemClock.sleep(ms, cut))
    },
    cargo: watchCargo(runCargo, {
      progress: line => term.out(logger.mask(line)),
      now: () => systemClock.now()
    }),
    git: runGit,
    fetch: globalThis.fetch.bind(globalThis),
    env: {},
    random: Math.random,
    progress: line => term.out(logger.mask(line))
  }
}
