import { UserError } from '../errors.js'
import { startRegistry } from '../registry/index.js'
import type { EmbeddedRegistryOptions } from '../registry/types.js'
import type { Terminal } from './terminal.js'

/** What stops a serving registry; `process` in real use, an EventEmitter in tests. */
export interface SignalSource {
  once(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown
  off(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown
}

const USAGE =
  'shipper-rehearse registry serve [--port N] [--data DIR] [--token T] [--strict|--no-strict] [--auth-required]'

/** `registry serve` flags: `--name value` or `--name=value`. */
export function parseServeArgs(argv: string[]): EmbeddedRegistryOptions {
  const options: EmbeddedRegistryOptions = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const eq = arg.indexOf('=')
    const flag = eq === -1 ? arg : arg.slice(0, eq)
    const value = () => {
      if (eq !== -1) return arg.slice(eq + 1)
      const next = argv[i + 1]
      if (next === undefined || next.startsWith('--')) {
        throw new UserError(`flag ${flag} needs a value`, USAGE, 2)
      }
      i++
      return next
    }
    switch (flag) {
      case '--port': {
        const raw = value()
        const port = Number(raw)
        if (!/^\d+$/.test(raw) || port > 65535) {
          throw new UserError(`--port must be a port number (0-65535), got '${raw}'`, USAGE, 2)
        }
        options.port = port
        break
      }
      case '--data':
        options.dataDir = value()
        break
      case '--token':
        options.token = value()
        break
      case '--strict':
        options.strict = true
        break
      case '--no-strict':
        options.strict = false
        break
      case '--auth-required':
        options.authRequired = true
        break
      default:
        throw new UserError(`unknown flag ${arg}`, USAGE, 2)
    }
  }
  return options
}

/**
 * Why the registry did not start, as one line with the fix: the listener's and the data dir's
 * system errors are the usual causes; anything else still gets one line, never a stack.
 */
export function startError(error: unknown, options: EmbeddedRegistryOptions): UserError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  const message = error instanceof Error ? error.message : String(error)
  const port = options.port ?? 0
  const data = options.dataDir ?? 'the temporary data dir'
  switch (code) {
    case 'EADDRINUSE':
      return new UserError(
        `port ${port} on 127.0.0.1 is already in use`,
        'stop what listens there, or pick another --port (0 takes any free one)',
        2
      )
    case 'EACCES':
    case 'EPERM':
      return /listen|bind/i.test(message)
        ? new UserError(
            `not allowed to listen on port ${port}`,
            'ports below 1024 need privileges: pick a higher --port, or 0',
            2
          )
        : new UserError(
            `not allowed to use --data ${data}`,
            'give a directory this user can write',
            2
          )
    case 'ENOTDIR':
    case 'EEXIST':
      return new UserError(
        `--data ${data} is not a directory`,
        'give a directory (it is created when missing)',
        2
      )
    default:
      return new UserError(
        `the registry did not start: ${message.split('\n')[0]}`,
        `check --port and --data (${USAGE})`,
        2
      )
  }
}

/**
 * Runs the embedded registry until SIGINT or SIGTERM. The cargo index URL goes to stdout alone on
 * its line (for scripts); the token and where data lives go to stderr.
 */
export async function registryServe(
  argv: string[],
  term: Terminal,
  signals: SignalSource = process
): Promise<number> {
  const options = parseServeArgs(argv)
  const registry = await startRegistry(options).catch((error: unknown) => {
    throw startError(error, options)
  })
  term.out(registry.indexUrl)
  term.err(`token: ${registry.token}`)
  term.err(
    options.dataDir === undefined
      ? `data: ${registry.dataDir} (temporary, removed on exit)`
      : `data: ${registry.dataDir}`
  )
  term.err(
    `strict: ${options.strict ?? true}, auth-required: ${options.authRequired ?? false}; stop with Ctrl-C`
  )
  await new Promise<void>(resolve => {
    const stop = () => {
      signals.off('SIGINT', stop)
      signals.off('SIGTERM', stop)
      resolve()
    }
    signals.once('SIGINT', stop)
    signals.once('SIGTERM', stop)
  })
  await registry.close()
  return 0
}
