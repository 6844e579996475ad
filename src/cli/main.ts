import { artifactStoreFromEnv } from '../github/artifact.js'
import type { ArtifactStore } from '../record/artifacts.js'
import { UserError, describeError } from '../errors.js'
import { parseOptions } from '../options/parse.js'
import { withLiveRegistry } from '../target/live.js'
import { TOOL } from '../version.js'
import { parseArgs } from './args.js'
import { endInterrupted } from './interrupt.js'
import { commandHelp, findCommand, mainHelp, wantsHelp } from './help.js'
import { processTerminal, terminalContext, type Terminal } from './terminal.js'
import { gateCommand } from './gate.js'
import { planCommand } from './plan.js'
import { publishCommand } from './publish.js'
import { rehearseCommand } from './rehearse.js'
import { registryServe } from './registry-serve.js'

/** Flags of a command that fixes the mode: a contradicting `--mode` is refused, not ignored. */
function modeArgs(argv: string[], mode: 'rehearse' | 'publish', command: string) {
  const args = parseArgs(argv)
  const given = args.inputs.mode
  if (given !== undefined && given !== mode) {
    throw new UserError(
      `--mode ${given} contradicts the \`${command}\` command`,
      `drop --mode: \`${command}\` always runs in ${mode} mode`,
      2
    )
  }
  return args
}

/** The command line's front door: parse, dispatch, and map every failure to one line and an exit code. */
export async function main(argv: string[], term: Terminal = processTerminal): Promise<number> {
  const [command, ...rest] = argv
  try {
    const about = command === undefined ? undefined : findCommand(argv)
    if (about && wantsHelp(rest)) {
      term.out(commandHelp(about))
      return 0
    }
    switch (command) {
      case undefined:
        term.err(mainHelp())
        return 2
      case '-h':
      case '--help':
        term.out(mainHelp())
        return 0
      case 'help': {
        if (rest.length === 0) {
          term.out(mainHelp())
          return 0
        }
        const about = findCommand(rest)
        if (!about) {
          throw new UserError(
            `no help for '${rest.join(' ')}': not a command`,
            'run `shipper-rehearse help` for the commands',
            2
          )
        }
        term.out(commandHelp(about))
        return 0
      }
      case '--version':
      case '-V':
        term.out(`${TOOL.name} ${TOOL.version}`)
        return 0
      case 'plan': {
        const args = parseArgs(rest, ['format'])
        const options = await parseOptions(args.inputs, { cwd: process.cwd(), env: process.env })
        return await planCommand(
          options,
          args.extra.format ?? 'text',
          withLiveRegistry(options, terminalContext(term)),
          term
        )
      }
      case 'rehearse': {
        const args = modeArgs(rest, 'rehearse', command)
        const options = await parseOptions(
          { ...args.inputs, mode: 'rehearse' },
          { cwd: process.cwd(), env: process.env }
        )
        return await rehearseCommand(
          options,
          withLiveRegistry(options, terminalContext(term)),
          term,
          await artifactsHere()
        )
      }
      case 'gate':
      case 'publish': {
        const args = modeArgs(rest, 'publish', command)
        const options = await parseOptions(
          { ...args.inputs, mode: 'publish' },
          { cwd: process.cwd(), env: process.env }
        )
        const ctx = terminalContext(term)
        const deps = await artifactsHere()
        return command === 'gate'
          ? await gateCommand(options, ctx, term, deps)
          : await publishCommand(options, ctx, term, deps)
      }
      case 'registry': {
        if (rest[0] !== 'serve') {
          throw new UserError(
            `unknown registry command '${rest[0] ?? ''}'`,
            'use `shipper-rehearse registry serve`',
            2
          )
        }
        return await registryServe(rest.slice(1), term)
      }
      default:
        throw new UserError(`unknown command '${command}'`, 'run `shipper-rehearse --help`', 2)
    }
  } catch (error) {
    const interrupted = endInterrupted(term)
    if (interrupted !== undefined) return interrupted
    term.err(`error: ${describeError(error)}`)
    return error instanceof UserError ? error.exitCode : 1
  }
}

/** The artifact service when the CLI runs inside an Actions job that exposes it, else none. */
async function artifactsHere(): Promise<{ artifacts?: ArtifactStore }> {
  const artifacts = await artifactStoreFromEnv(process.env)
  return artifacts ? { artifacts } : {}
}
