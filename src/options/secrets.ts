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
