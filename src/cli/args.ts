import { UserError } from '../errors.js'
import { INPUTS } from '../options/inputs.js'
import type { RawInputs } from '../options/parse.js'
import {
  CLI_SECRET_VARIABLES,
  readSecretFile,
  SECRET_INPUTS,
  secretOnCommandLine
} from '../options/secrets.js'

export interface ParsedArgs {
  inputs: RawInputs
  /** Flags that are not action inputs (e.g. `format`). */
  extra: Record<string, string>
  positionals: string[]
}

const BOOLEAN_INPUTS = new Set(INPUTS.filter(i => i.kind === 'boolean').map(i => i.name))
const KNOWN_INPUTS = new Set(INPUTS.map(i => i.name))

/** Where the command line reads what it cannot take as flags. */
export interface ArgsEnvironment {
  env: Record<string, string | undefined>
  readStdin?: () => string
}

/**
 * `--name value`, `--name=value`, bare `--flag` for booleans (true) and `--no-flag` (false).
 * Flags are the action's input names; `extraFlags` adds command-specific ones. Secret inputs are
 * never flags (every process can read a command line): `--NAME-file PATH` (`-` = standard input)
 * or the environment (SECRET_ENV) gives them, and `--NAME` is refused without echoing its value.
 */
export function parseArgs(
  argv: string[],
  extraFlags: readonly string[] = [],
  from: ArgsEnvironment = { env: process.env }
): ParsedArgs {
  const extraSet = new Set(extraFlags)
  const out: ParsedArgs = { inputs: {}, extra: {}, positionals: [] }
  const secretFiles = new Map<string, string>()
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
    if (SECRET_INPUTS.has(name)) throw secretOnCommandLine(name)
    const secretFile = name.endsWith('-file') ? name.slice(0, -'-file'.length) : undefined
    const known =
      KNOWN_INPUTS.has(name) ||
      extraSet.has(name) ||
      (secretFile !== undefined && SECRET_INPUTS.has(secretFile))
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
    else if (secretFile !== undefined && SECRET_INPUTS.has(secretFile))
      secretFiles.set(secretFile, value)
    else out.extra[name] = value
  }
  if ([...secretFiles.values()].filter(path => path === '-').length > 1) {
    throw new UserError(
      'more than one --*-file reads standard input',
      'give at most one of them `-`; put the others in files',
      2
    )
  }
  for (const [name, path] of secretFiles) {
    out.inputs[name] = readSecretFile(name, path, from.readStdin)
  }
  for (const [name, variable] of Object.entries(CLI_SECRET_VARIABLES)) {
    const value = from.env[variable]
    if (out.inputs[name] === undefined && value) out.inputs[name] = value
  }
  return out
}
