import { UserError } from '../errors.js'

const REGISTRY_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/

/** The `<NAME>` part of `CARGO_REGISTRIES_<NAME>_*`: cargo upper-cases the name and maps `-` to `_`. */
export function registryEnvKey(name: string): string {
  if (!REGISTRY_NAME.test(name)) {
    throw new UserError(
      `'${name}' is not a valid cargo registry name`,
      'use letters, digits, `-` and `_`, starting with a letter or digit',
      2
    )
  }
  return name.toUpperCase().replace(/-/g, '_')
}

export interface RegistryEnvInput {
  name: string
  indexUrl: string
  token: string
}

/**
 * Configures the rehearsal registry for cargo through the environment only, so the user's cargo
 * config is never edited. The credential provider is pinned to `cargo:token` because registries
 * with `auth-required` refuse `cargo install` otherwise, and it keeps a user's global providers
 * from being asked for a throwaway registry's token.
 */
export function registryEnv(registry: RegistryEnvInput): Record<string, string> {
  const key = registryEnvKey(registry.name)
  const env: Record<string, string> = {
    [`CARGO_REGISTRIES_${key}_INDEX`]: registry.indexUrl,
    [`CARGO_REGISTRIES_${key}_CREDENTIAL_PROVIDER`]: 'cargo:token'
  }
  if (registry.token) env[`CARGO_REGISTRIES_${key}_TOKEN`] = registry.token
  return env
}
