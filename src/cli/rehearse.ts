import { resultExitCode, resultLines } from '../outputs.js'
import { rehearse } from '../rehearse/index.js'
import { interruptedBy, interruptExitCode } from '../cargo/interrupt.js'
import { interruptedLine } from './interrupt.js'
import type { EngineCommand } from './terminal.js'

export const rehearseCommand: EngineCommand = async (options, ctx, term, deps = {}) => {
  const result = await rehearse(options, ctx, deps)
  const signal = interruptedBy()
  if (signal) {
    term.err(interruptedLine(signal, result))
    return interruptExitCode(signal)
  }
  for (const line of resultLines(result)) term.out(line)
  return resultExitCode(result)
}
