import { UserError } from '../errors.js'
import type { Options } from '../options/types.js'
import { indexUrlFor } from './url.js'
import { registryEnv, registryEnvVar } from '../cargo/env.js'
import { CRATES_IO } from '../crates-io.js'

/** The live registry a publish run uploads to, and how cargo is told about it. */
export interface LiveTarget {
  name: string
  isCratesIo: boolean
  /** `sparse+...` index URL, ending in `/`. */
  indexUrl: string
  /** Extra cargo arguments that select the registry (`--registry NAME`, or none for crates.io). */
  registryArgs: string[]
  /** Environment for cargo: the registry's index (non-crates.io) and its token. */
  cargoEnv(token: string | undefined): Record<string, string>
  /** The env var a user would set to give this registry a token. */
  tokenEnvVar: string
}

/**
 * crates.io unless a `target-registry-url` names another live registry. Its API base comes from
 * the plan (config.json `api`), which needs this target's cargo env to read the manifests.
 */
export function liveTarget(
  options: Pick<Options, 'targetRegistry' | 'targetRegistryUrl'>,
  env: Record<string, string | undefined> = process.env
): LiveTarget {
  if (!options.targetRegistryUrl && options.targetRegistry === CRATES_IO.name) {
    return {
      name: CRATES_IO.name,
      isCratesIo: true,
      indexUrl: CRATES_IO.indexUrl,
      registryArgs: [],
      tokenEnvVar: 'CARGO_REGISTRY_TOKEN',
      cargoEnv: (token): Record<string, string> => (token ? { CARGO_REGISTRY_TOKEN: token } : {})
    }
  }
  if (options.targetRegistry === CRATES_IO.name) {
    throw new UserError(
      '`target-registry-url` is set but `target-registry` is crates-io',
      'give the other live registry its own cargo name with `target-registry`',
      2
    )
  }
  const indexVar = registryEnvVar(options.targetRegistry, 'INDEX')
  // As for the plan_id's API base: the registry's own cargo env var stands in for the input.
  const url = options.targetRegistryUrl || env[indexVar]?.trim()
  if (!url) {
    throw new UserError(
      `live registry '${options.targetRegistry}' has no URL`,
      `set \`target-registry-url\` to its base URL or sparse index URL (or ${indexVar})`,
      2
    )
  }
  const indexUrl = indexUrlFor(url)
  const name = options.targetRegistry
  return {
    name,
    isCratesIo: false,
    indexUrl,
    registryArgs: ['--registry', name],
    tokenEnvVar: registryEnvVar(name, 'TOKEN'),
    cargoEnv: token => registryEnv({ name, indexUrl, token })
  }
}

/**
 * The context every cargo call of a run needs: manifests of a private-registry workspace name the
 * live registry, and cargo refuses to read them unless that registry is configured.
 */
export function withLiveRegistry<T extends { env: Record<string, string | undefined> }>(
  options: Pick<Options, 'targetRegistry' | 'targetRegistryUrl'>,
  ctx: T
): T {
  return { ...ctx, env: { ...liveTarget(options).cargoEnv(undefined), ...ctx.env } }
}
