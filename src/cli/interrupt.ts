import type { InterruptSignal } from '../cargo/interrupt.js'
import type { RunResult } from '../result.js'

/** The one line an interrupted run ends with, saying what was cleaned up and what was kept. */
export function interruptedLine(signal: InterruptSignal, result?: RunResult): string {
  const record = result?.receiptPath ? `; failing record: ${result.receiptPath}` : ''
  return `interrupted by ${signal}: cargo stopped, temporary files removed${record}`
}
