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
 * Runs the embedded registry until SIGINT or SIGTERM. The cargo index URL goes to stdout alone on
 * its line (for scripts); the token and where data lives go to stderr.
 */
export async function registryServe(
  argv: string[],
  term: Terminal,
  signals: SignalSource = process
): Promise<number> {
  const options = parseServeArgs(argv)
  const registry = await startRegistry(options)
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
