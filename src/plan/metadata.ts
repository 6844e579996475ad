import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { z } from 'zod'
import { runCargo, type CargoRunner } from '../cargo/run.js'
import { UserError } from '../errors.js'
import { cargoErrorLine } from './cargo-error.js'

/** The part of `cargo metadata --format-version 1 --no-deps` the plan reads. */
export const dependencySchema = z.object({
  name: z.string(),
  rename: z.string().nullish(),
  req: z.string(),
  kind: z.enum(['dev', 'build']).nullish(),
  optional: z.boolean().default(false),
  target: z.string().nullish(),
  /** null for crates.io, else the registry's index URL. */
  registry: z.string().nullish(),
  /** Absolute directory of a path dependency. */
  path: z.string().nullish()
})

export const targetSchema = z.object({
  kind: z.array(z.string()),
  name: z.string()
})

export const packageSchema = z.object({
  name: z.string(),
  version: z.string(),
  id: z.string(),
  manifest_path: z.string(),
  /** null = publishable anywhere, [] = `publish = false`, else the allowed registry names. */
  publish: z.array(z.string()).nullish(),
  dependencies: z.array(dependencySchema),
  targets: z.array(targetSchema),
  readme: z.string().nullish(),
  license_file: z.string().nullish(),
  description: z.string().nullish(),
  license: z.string().nullish(),
  keywords: z.array(z.string()).nullish(),
  categories: z.array(z.string()).nullish()
})

export const metadataSchema = z.object({
  packages: z.array(packageSchema),
  workspace_members: z.array(z.string()),
  workspace_root: z.string()
})

export type CargoMetadata = z.infer<typeof metadataSchema>
export type MetadataPackage = z.infer<typeof packageSchema>
export type MetadataDependency = z.infer<typeof dependencySchema>

/** Validates already-parsed `cargo metadata` JSON. */
export function parseMetadata(json: unknown): CargoMetadata {
  const parsed = metadataSchema.safeParse(json)
  if (!parsed.success) {
    throw new Error(`unexpected cargo metadata output: ${z.prettifyError(parsed.error)}`)
  }
  return parsed.data
}

/**
 * Runs `cargo metadata --no-deps` for a manifest. cargo runs from the manifest's folder so the
 * workspace's own `.cargo/config.toml` applies, as it would for the user.
 */
export async function loadMetadata(
  manifestPath: string,
  cargo: CargoRunner = runCargo,
  env?: Record<string, string | undefined>
): Promise<CargoMetadata> {
  const manifest = resolve(manifestPath)
  const result = await cargo(
    ['metadata', '--format-version', '1', '--no-deps', '--manifest-path', manifest],
    // A missing folder would fail the spawn itself; let cargo report the missing manifest instead.
    { cwd: existsSync(dirname(manifest)) ? dirname(manifest) : undefined, env }
  )
  if (result.exitCode !== 0) {
    throw new UserError(
      `cargo metadata failed for ${manifest}: ${cargoErrorLine(result.stderr)}`,
      'set manifest-path to the Cargo.toml of the workspace (or package) to release, and check that `cargo metadata --no-deps` succeeds there',
      2
    )
  }
  let json: unknown
  try {
    json = JSON.parse(result.stdout)
  } catch {
    throw new Error(
      `cargo metadata printed something that is not JSON: ${result.stdout.slice(0, 200)}`
    )
  }
  return parseMetadata(json)
}
