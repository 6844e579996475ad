import { readFileSync } from 'node:fs'
import { UserError } from '../errors.js'
import { INPUTS } from './inputs.js'
import type { Options } from './types.js'

/**
 * The secret values of a run's options, to mask and scrub. A documented default (kellnr's
 * `admin` password) is no secret, and masking it would blank every "admin" in the log.
 */
export function secretValues(
  options: Pick<Options, 'registryToken' | 'registryPassword' | 'token' | 'githubToken'>
): string[] {
  const defaults = new Set(INPUTS.filter(i => i.kind === 'secret').map(i => i.default))
  return [
    options.registryToken,
    options.registryPassword,
    options.token,
    options.githubToken
  ].filter(v => v !== '' && !defaults.has(v))
}

/** The action's secret inputs; on the command line each is a `--NAME-file` flag. */
export const SECRET_INPUTS: ReadonlySet<string> = new Set(
  INPUTS.filter(i => i.kind === 'secret').map(i => i.name)
)

/** Secrets the command line reads from these variables when no `--NAME-file` gives them. */
export const CLI_SECRET_VARIABLES: Readonly<Record<string, string>> = {
  'registry-token': 'SHIPPER_REGISTRY_TOKEN',
  'registry-password': 'SHIPPER_REGISTRY_PASSWORD'
}

/**
 * Where each secret comes from besides `--NAME-file`: `token` and `github-token` are read where
 * they are used (tokens.ts, parse.ts), the others by the command line (CLI_SECRET_VARIABLES).
 */
export const SECRET_ENV: Readonly<Record<string, string>> = {
  ...CLI_SECRET_VARIABLES,
  token: 'CARGO_REGISTRY_TOKEN (crates.io) or CARGO_REGISTRIES_<NAME>_TOKEN',
  'github-token': 'GITHUB_TOKEN'
}

/** A secret flag given on the command line: refused, and its value never repeated. */
export function secretOnCommandLine(name: string): UserError {
  return new UserError(
    `--${name} is not accepted: a secret on the command line is visible to every process of this machine`,
    `set ${SECRET_ENV[name] ?? 'its environment variable'}, or pass --${name}-file PATH (\`-\` reads standard input)`,
    2
  )
}

/**
 * A secret from a file (`-`: standard input), without its final line terminator. An empty or
 * unreadable file is an input error naming the flag, never the content.
 */
export function readSecretFile(
  name: string,
  path: string,
  readStdin: () => string = () => readFileSync(0, 'utf8')
): string {
  let text: string
  try {
    text = path === '-' ? readStdin() : readFileSync(path, 'utf8')
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable'
    throw new UserError(
      `--${name}-file ${path}: cannot read it (${reason})`,
      'give a readable file, or `-` to read standard input',
      2
    )
  }
  const value = text.replace(/\r?\n$/, '')
  if (value === '') {
    throw new UserError(
      `--${name}-file ${path} is empty`,
      'put the secret in the file (one line)',
      2
    )
  }
  return value
}
