import { resultExitCode, resultLines } from '../outputs.js'
import { publish } from '../publish/index.js'
import { endInterrupted } from './interrupt.js'
import type { EngineCommand } from './terminal.js'

/** `shipper-rehearse publish`: gates, then publishes; prints one line per crate and the verdict. */
export const publishCommand: EngineCommand = async (options, ctx, term, deps = {}) => {
  const result = await publish(options, ctx, deps)
  const interrupted = endInterrupted(term, result)
  if (interrupted !== undefined) return interrupted
  if (result.gate?.bypassed) term.out(`warning: ${result.gate.message}`)
  for (const line of resultLines(result)) term.out(line)
  if (result.published.length > 0) {
    term.out(
      `uploaded by this run: ${result.published.map(p => `${p.name}@${p.version}`).join(', ')}`
    )
  }
  return resultExitCode(result)
}
