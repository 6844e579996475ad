import type { RunContext } from '../context.js'
import type { Options } from '../options/types.js'
import { resultExitCode, resultLines } from '../outputs.js'
import { rehearse } from '../rehearse/index.js'
import { interruptedBy, interruptExitCode } from '../cargo/interrupt.js'
import { interruptedLine } from './interrupt.js'
import type { Terminal } from './terminal.js'

export async function rehearseCommand(
  options: Options,
  ctx: RunContext,
  term: Terminal
): Promise<number> {
  const result = await rehearse(options, ctx)
  const signal = interruptedBy()
  if (signal) {
    term.err(interruptedLine(signal, result))
    return interruptExitCode(signal)
  }
  for (const line of resultLines(result)) term.out(line)
  return resultExitCode(result)
}
