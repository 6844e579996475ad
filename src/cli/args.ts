import { UserError } from '../errors.js'
import { INPUTS } from '../options/inputs.js'
import type { RawInputs } from '../options/parse.js'

export interface ParsedArgs {
  inputs: RawInputs
  /** Flags that are not action inputs (e.g. `format`). */
  extra: Record<string, string>
  positionals: string[]
}

const BOOLEAN_INPUTS = new Set(INPUTS.filter(i => i.kind === 'boolean').map(i => i.name))
const KNOWN_INPUTS = new Set(INPUTS.map(i => i.name))

/**
 * `--name value`, `--name=value`, bare `--flag` for booleans (true) and `--no-flag` (false).
 * Flags are the action's input names; `extraFlags` adds command-specific ones.
 */
export function parseArgs(argv: string[], extraFlags: readonly string[] = []): ParsedArgs {
  const extraSet = new Set(extraFlags)
  const out: ParsedArgs = { inputs: {}, extra: {}, positionals: [] }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (!arg.startsWith('--')) {
      out.positionals.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1)
    if (value === undefined && name.startsWith('no-') && BOOLEAN_INPUTS.has(name.slice(3))) {
      name = name.slice(3)
      value = 'false'
    }
    const known = KNOWN_INPUTS.has(name) || extraSet.has(name)
    if (!known) {
      throw new UserError(
        `unknown flag --${name}`,
        'run `shipper-rehearse --help` for the flags',
        2
      )
    }
    if (value === undefined) {
      if (BOOLEAN_INPUTS.has(name)) value = 'true'
      else {
        const next = argv[i + 1]
        if (next === undefined || next.startsWith('--')) {
          throw new UserError(`flag --${name} needs a value`, `write --${name}=VALUE`, 2)
        }
        value = next
        i++
      }
    }
    if (KNOWN_INPUTS.has(name)) out.inputs[name] = value
    else out.extra[name] = value
  }
  return out
}
