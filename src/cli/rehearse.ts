import type { RunContext } from '../context.js'
import type { Options } from '../options/types.js'
import { resultExitCode, resultLines } from '../outputs.js'
import { rehearse } from '../rehearse/index.js'
import type { Terminal } from './terminal.js'

export async function rehearseCommand(
  options: Options,
  ctx: RunContext,
  term: Terminal
): Promise<number> {
  const result = await rehearse(options, ctx)
  for (const line of resultLines(result)) term.out(line)
  return resultExitCode(result)
}
