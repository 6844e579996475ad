import { interruptedBy, interruptExitCode, type InterruptSignal } from '../cargo/interrupt.js'
import type { RunResult } from '../result.js'
import type { Terminal } from './terminal.js'

/** The one line an interrupted run ends with, saying what was cleaned up and what was kept. */
export function interruptedLine(signal: InterruptSignal, result?: RunResult): string {
  const record = result?.receiptPath ? `; failing record: ${result.receiptPath}` : ''
  return `interrupted by ${signal}: cargo stopped, temporary files removed${record}`
}

/**
 * When a signal stopped the run: says so in that one line and returns the signal's exit code
 * (130 / 143); otherwise undefined, and the command reports its result as usual.
 */
export function endInterrupted(term: Terminal, result?: RunResult): number | undefined {
  const signal = interruptedBy()
  if (!signal) return undefined
  term.err(interruptedLine(signal, result))
  return interruptExitCode(signal)
}
