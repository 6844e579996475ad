import { resultExitCode, resultLines } from '../outputs.js'
import { rehearse } from '../rehearse/index.js'
import { endInterrupted } from './interrupt.js'
import type { EngineCommand } from './terminal.js'

export const rehearseCommand: EngineCommand = async (options, ctx, term, deps = {}) => {
  const result = await rehearse(options, ctx, deps)
  const interrupted = endInterrupted(term, result)
  if (interrupted !== undefined) return interrupted
  for (const line of resultLines(result)) term.out(line)
  return resultExitCode(result)
}
