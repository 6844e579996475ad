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
const listeners = new Set<(signal: InterruptSignal) => void>()

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

/** Signals a cargo command's whole process group (its rustc, build scripts and proc macros too). */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(process.platform === 'win32' ? pid : -pid, signal)
  } catch {
    // the group is gone already
  }
}

/** Marks the run interrupted and stops every cargo process group in flight. */
export function interruptCargo(signal: InterruptSignal): void {
  interrupted ??= signal
  for (const listener of listeners) listener(interrupted)
  for (const pid of activeCargoGroups) signalGroup(pid, signal)
}

/**
 * `work`, or InterruptedError as soon as the run is interrupted: for waits that are not cargo
 * (a readiness poll's sleep), so an interrupt does not wait minutes for them.
 */
export function interruptible<T>(work: Promise<T>): Promise<T> {
  if (interrupted) return Promise.reject(new InterruptedError(interrupted))
  let listener: ((signal: InterruptSignal) => void) | undefined
  const stopped = new Promise<never>((_, reject) => {
    listener = signal => reject(new InterruptedError(signal))
    listeners.add(listener)
  })
  return Promise.race([work, stopped]).finally(() => listeners.delete(listener as never))
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

export interface SignalSource {
  on(event: InterruptSignal, listener: () => void): unknown
  off(event: InterruptSignal, listener: () => void): unknown
}

/**
 * Ctrl-C, SIGTERM, a cancelled job. The first signal stops cargo's process groups and lets the
 * run unwind on its own: scratch copies and temporary registries are removed by the code that made
 * them, and the rehearsal records a failing result ("interrupted by SIGINT"). A second signal does
 * not wait for that. Returns a function removing the handlers.
 */
export function handleInterrupts(
  signals: SignalSource,
  forceExit: (code: number) => void
): () => void {
  const handlers = (['SIGINT', 'SIGTERM'] as const).map(signal => {
    const handler = () => {
      if (interruptedBy()) {
        killCargoGroups()
        forceExit(interruptExitCode(signal))
        return
      }
      interruptCargo(signal)
    }
    signals.on(signal, handler)
    return [signal, handler] as const
  })
  return () => {
    for (const [signal, handler] of handlers) signals.off(signal, handler)
  }
}
