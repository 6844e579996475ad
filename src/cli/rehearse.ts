import { resultExitCode, resultLines } from '../outputs.js'
import { rehearse } from '../rehearse/index.js'
import type { EngineCommand } from './terminal.js'

export const rehearseCommand: EngineCommand = async (options, ctx, term, deps = {}) => {
  const result = await rehearse(options, ctx, deps)
  for (const line of resultLines(result)) term.out(line)
  return resultExitCode(result)
}
