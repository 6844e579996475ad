import type { RunContext } from '../context.js'
import type { Options } from '../options/types.js'
import { resultExitCode, resultLines } from '../outputs.js'
import { publish } from '../publish/index.js'
import { interruptedBy, interruptExitCode } from '../cargo/interrupt.js'
import { interruptedLine } from './interrupt.js'
import type { Terminal } from './terminal.js'

/** `shipper-rehearse publish`: gates, then publishes; prints one line per crate and the verdict. */
export async function publishCommand(
  options: Options,
  ctx: RunContext,
  term: Terminal
): Promise<number> {
  const result = await publish(options, ctx)
  const signal = interruptedBy()
  if (signal) {
    term.err(interruptedLine(signal, result))
    return interruptExitCode(signal)
  }
  if (result.gate?.bypassed) term.out(`warning: ${result.gate.message}`)
  for (const line of resultLines(result)) term.out(line)
  if (result.published.length > 0) {
    term.out(
      `uploaded by this run: ${result.published.map(p => `${p.name}@${p.version}`).join(', ')}`
    )
  }
  return resultExitCode(result)
}
