import type { ArtifactStore } from '../record/artifacts.js'
import type { RunContext } from '../context.js'
import type { Options } from '../options/types.js'
import { resultExitCode, resultLines } from '../outputs.js'
import { rehearse } from '../rehearse/index.js'
import type { Terminal } from './terminal.js'

export async function rehearseCommand(
  options: Options,
  ctx: RunContext,
  term: Terminal,
  deps: { artifacts?: ArtifactStore } = {}
): Promise<number> {
  const result = await rehearse(options, ctx, deps)
  for (const line of resultLines(result)) term.out(line)
  return resultExitCode(result)
}
