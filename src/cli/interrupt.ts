/**
 * Ctrl-C and SIGTERM on the command line. The first signal stops cargo's process groups and lets
 * the run unwind on its own: scratch copies and temporary registries are removed by the code that
 * made them, and the rehearsal records a failing result ("interrupted by SIGINT"). A second signal
 * does not wait for that.
 */
import {
  interruptCargo,
  interruptedBy,
  interruptExitCode,
  killCargoGroups,
  type InterruptSignal
} from '../cargo/interrupt.js'
import type { RunResult } from '../result.js'

export interface SignalSource {
  on(event: InterruptSignal, listener: () => void): unknown
  off(event: InterruptSignal, listener: () => void): unknown
}

/** Installs the handlers; returns a function removing them. */
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

/** The one line an interrupted run ends with, saying what was cleaned up and what was kept. */
export function interruptedLine(signal: InterruptSignal, result?: RunResult): string {
  const record = result?.receiptPath ? `; failing record: ${result.receiptPath}` : ''
  return `interrupted by ${signal}: cargo stopped, temporary files removed${record}`
}
