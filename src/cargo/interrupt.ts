/**
 * What an interrupt (Ctrl-C, a cancelled job) does to cargo: every cargo process group still
 * running is signalled, and from then on no cargo command starts and none reports a result; each
 * ends in InterruptedError instead, so the engine records a failure and cleans up on its way out.
 */
import { UserError } from '../errors.js'

export type InterruptSignal = 'SIGINT' | 'SIGTERM'

/** Process-group ids of the cargo commands in flight (the pid of each group's leader). */
export const activeCargoGroups = new Set<number>()

let interrupted: InterruptSignal | undefined

export function interruptedBy(): InterruptSignal | undefined {
  return interrupted
}

/** The conventional exit status of a process stopped by `signal` (128 + its number). */
export function interruptExitCode(signal: InterruptSignal): number {
  return signal === 'SIGINT' ? 130 : 143
}

export class InterruptedError extends UserError {
  constructor(readonly signal: InterruptSignal) {
    super(`interrupted by ${signal}`, 'nothing more was started; run again to finish', 1)
    this.name = 'InterruptedError'
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(process.platform === 'win32' ? pid : -pid, signal)
  } catch {
    // the group is gone already
  }
}

/** Marks the run interrupted and stops every cargo process group in flight. */
export function interruptCargo(signal: InterruptSignal): void {
  interrupted ??= signal
  for (const pid of activeCargoGroups) signalGroup(pid, signal)
}

/** For a process about to exit: nothing cargo started may outlive it. */
export function killCargoGroups(): void {
  for (const pid of activeCargoGroups) signalGroup(pid, 'SIGKILL')
  activeCargoGroups.clear()
}

/** Tests only: forget an earlier interrupt. */
export function resetInterrupt(): void {
  interrupted = undefined
}
