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

/** `CARGO_REGISTRIES_<NAME>_<FIELD>`, the env var cargo reads for that field of a named registry. */
export function registryEnvVar(
  name: string,
  field: 'INDEX' | 'TOKEN' | 'CREDENTIAL_PROVIDER'
): string {
  return `CARGO_REGISTRIES_${registryEnvKey(name)}_${field}`
}

export interface RegistryEnvInput {
  name: string
  indexUrl: string
  token?: string | undefined
}

/**
 * Configures a named registry (the rehearsal one, or a non-crates.io live one) for cargo through
 * the environment only, so the user's cargo config is never edited. The credential provider is
 * pinned to `cargo:token` because registries with `auth-required` refuse `cargo install`
 * otherwise, and it keeps a user's global providers from being asked for the token.
 */
export function registryEnv(registry: RegistryEnvInput): Record<string, string> {
  const env: Record<string, string> = {
    [registryEnvVar(registry.name, 'INDEX')]: registry.indexUrl,
    [registryEnvVar(registry.name, 'CREDENTIAL_PROVIDER')]: 'cargo:token'
  }
  if (registry.token) env[registryEnvVar(registry.name, 'TOKEN')] = registry.token
  return env
}
