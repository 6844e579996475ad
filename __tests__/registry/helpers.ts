import { createHash, createHmac, createSign, type KeyObject } from 'node:crypto'
import { cpSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCargo, type CargoResult } from '../../src/cargo/run.js'
import { encodePublishBody } from '../../src/registry/index.js'
import type { EmbeddedRegistry } from '../../src/registry/types.js'
import type { CargoSandbox } from '../helpers/sandbox.js'

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'registry')

/** cargo's env var prefix for a registry name: upper case, `-` → `_`. */
export function registryEnvName(name: string): string {
  return `CARGO_REGISTRIES_${name.toUpperCase().replace(/-/g, '_')}`
}

export interface RegistryUse {
  registry: EmbeddedRegistry
  /** Token cargo sends; defaults to the registry's. */
  token?: string
  /** Sets the cargo:token credential provider (needed for auth-required registries). */
  credentialProvider?: boolean
}

/** The sandbox env plus what cargo needs to use each named registry. */
export function cargoEnv(
  sandbox: CargoSandbox,
  registries: Record<string, RegistryUse>
): Record<string, string> {
  const env: Record<string, string> = { ...sandbox.env }
  for (const [name, use] of Object.entries(registries)) {
    const prefix = registryEnvName(name)
    env[`${prefix}_INDEX`] = use.registry.indexUrl
    env[`${prefix}_TOKEN`] = use.token ?? use.registry.token
    if (use.credentialProvider) env[`${prefix}_CREDENTIAL_PROVIDER`] = 'cargo:token'
  }
  return env
}

export function cargo(
  args: string[],
  cwd: string,
  env: Record<string, string>
): Promise<CargoResult> {
  return runCargo(args, { cwd, env })
}

export interface CrateSpec {
  name: string
  version?: string
  /** Extra `[package]` lines, e.g. `keywords = ["a"]`. */
  packageLines?: string[]
  /** Set false to omit the fixture's description and license. */
  metadata?: boolean
  /** Lines after `[package]`, e.g. a `[dependencies]` table. */
  tail?: string[]
  /** Extra files relative to the crate root. */
  files?: Record<string, string | Buffer>
}

/** A copy of the `single` fixture crate with a manifest built from `spec`; returns its path. */
export function makeCrate(sandbox: CargoSandbox, spec: CrateSpec): string {
  const dir = join(sandbox.root, `crate-${spec.name}-${Math.random().toString(36).slice(2, 8)}`)
  cpSync(join(FIXTURES, 'single'), dir, { recursive: true })
  const lines = [
    '[package]',
    `name = "${spec.name}"`,
    `version = "${spec.version ?? '0.1.0'}"`,
    'edition = "2021"',
    ...(spec.metadata === false
      ? []
      : ['description = "Embedded registry fixture crate"', 'license = "MIT"']),
    ...(spec.packageLines ?? []),
    '',
    ...(spec.tail ?? []),
    ''
  ]
  writeFileSync(join(dir, 'Cargo.toml'), lines.join('\n'))
  for (const [path, content] of Object.entries(spec.files ?? {})) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), content)
  }
  return dir
}

/** Publish metadata as cargo would send it for a crate without dependencies. */
export function publishMetadata(name: string, vers: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    vers,
    deps: [],
    features: {},
    authors: [],
    description: 'a test crate',
    license: 'MIT',
    keywords: [],
    categories: [],
    ...extra
  }
}

export function fakeCrate(label: string): Buffer {
  return Buffer.from(`not really a tarball: ${label}`)
}

export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex')

/** A publish over plain HTTP, as cargo sends it. */
export function rawPublish(
  registry: EmbeddedRegistry,
  metadata: object,
  crate: Uint8Array,
  token: string | null = registry.token
): Promise<Response> {
  const headers: Record<string, string> = {}
  if (token !== null) headers.authorization = token
  return fetch(`${registry.url}/api/v1/crates/new`, {
    method: 'PUT',
    headers,
    body: encodePublishBody(metadata, crate)
  })
}

export async function errorDetail(res: Response): Promise<string> {
  const body = (await res.json()) as { errors?: Array<{ detail?: string }> }
  return body.errors?.[0]?.detail ?? ''
}

/**
 * A JWT as a test OIDC stand-in signs it with node:crypto: HS256 with the registry's shared
 * `trustedPublishing.secret`, or RS256 with the private half of its `publicKey`.
 */
export function signTestJwt(
  claims: Record<string, unknown>,
  key: { secret: string } | { privateKey: KeyObject | string }
): string {
  const alg = 'secret' in key ? 'HS256' : 'RS256'
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const input = `${b64({ alg, typ: 'JWT' })}.${b64(claims)}`
  const signature =
    'secret' in key
      ? createHmac('sha256', key.secret).update(input).digest()
      : createSign('RSA-SHA256').update(input).sign(key.privateKey)
  return `${input}.${signature.toString('base64url')}`
}
