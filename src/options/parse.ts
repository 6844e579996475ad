import { CRATES_IO } from '../crates-io.js'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import { UserError } from '../errors.js'
import { loadShipperConfig, registryEntries, type ShipperConfig } from './config-file.js'
import { configDurationMs, parseDuration } from './duration.js'
import { INPUTS, type InputSpec } from './inputs.js'
import type { Options } from './types.js'

/** Raw values by input name (kebab-case), as the action or the command line received them. */
export type RawInputs = Record<string, string | undefined>

export interface ParseContext {
  /** Directory relative paths are resolved against (GITHUB_WORKSPACE, or the shell's cwd). */
  cwd: string
  env: Record<string, string | undefined>
}

const CRATE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/
const REGISTRY_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/
const TRUE = new Set(['true', 'True', 'TRUE', 'yes', '1'])
const FALSE = new Set(['false', 'False', 'FALSE', 'no', '0'])

function bad(name: string, value: string, allowed: string): UserError {
  const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value
  return new UserError(
    `input \`${name}\` has an invalid value '${shown}'`,
    `allowed: ${allowed}`,
    2
  )
}

function specOf(name: string): InputSpec {
  const spec = INPUTS.find(i => i.name === name)
  if (!spec) throw new Error(`unknown input ${name}`)
  return spec
}

/** Reads inputs with their defaults applied: an empty value means the default, as the runner does. */
class InputReader {
  constructor(
    private readonly raw: RawInputs,
    private readonly config: Partial<Record<string, string>>
  ) {}

  /** The value from the input, else the config file, else the default; and where it came from. */
  get(name: string): string {
    const given = this.raw[name]?.trim()
    if (given) return given
    const fromConfig = this.config[name]
    if (fromConfig !== undefined) return fromConfig
    const def = specOf(name).default
    return def.startsWith('${{') ? '' : def
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T {
    const v = this.get(name)
    if ((allowed as readonly string[]).includes(v)) return v as T
    throw bad(name, v, allowed.map(a => `\`${a}\``).join(', '))
  }

  bool(name: string): boolean {
    const v = this.get(name)
    if (TRUE.has(v)) return true
    if (FALSE.has(v)) return false
    throw bad(name, v, '`true` or `false`')
  }

  duration(name: string): number {
    const v = this.get(name)
    const ms = parseDuration(v)
    if (ms === undefined || ms <= 0)
      throw bad(name, v, 'a duration such as `90s`, `2m`, `1h` or a number of seconds')
    return ms
  }

  int(name: string, min: number, max: number): number | undefined {
    const v = this.get(name)
    if (v === '') return undefined
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      throw bad(name, v, `a whole number from ${min} to ${max}`)
    }
    return Number(v)
  }

  list(name: string, pattern: RegExp, what: string): string[] {
    const items = this.get(name)
      .split(/[,\n]/)
      .map(s => s.trim())
      .filter(Boolean)
    for (const item of items) if (!pattern.test(item)) throw bad(name, item, what)
    return [...new Set(items)]
  }

  url(name: string): string {
    const v = this.get(name)
    if (!v) return ''
    const plain = v.startsWith('sparse+') ? v.slice('sparse+'.length) : v
    let parsed: URL
    try {
      parsed = new URL(plain)
    } catch {
      throw bad(
        name,
        v,
        'an http(s) base URL such as `http://localhost:8000`, or a `sparse+https://…/` index URL'
      )
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw bad(name, v, 'an http:// or https:// URL (cargo only speaks the sparse protocol here)')
    }
    if (parsed.username || parsed.password) {
      throw bad(
        name,
        '(a URL with credentials)',
        'a URL without user:password; pass the token through the token inputs'
      )
    }
    return v
  }
}

/** Maps the config file's keys onto input names, as strings, so inputs can override them. */
function configAsInputs(config: ShipperConfig, path: string): Partial<Record<string, string>> {
  const out: Partial<Record<string, string>> = {}
  if (config.state_dir) out['state-dir'] = config.state_dir
  const rehearsalName = config.rehearsal?.registry
  if (rehearsalName) {
    out['registry-name'] = rehearsalName
    const entry = registryEntries(config).find(r => r.name === rehearsalName)
    const url = entry?.index_base ?? entry?.api_base
    if (url)
      out['registry-url'] = entry?.index_base
        ? `sparse+${url.replace(/^sparse\+/, '').replace(/\/?$/, '/')}`
        : url
  }
  if (config.registry?.name) out['target-registry'] = config.registry.name
  if (
    config.registry?.api_base &&
    config.registry.name &&
    config.registry.name !== CRATES_IO.name
  ) {
    out['target-registry-url'] = config.registry.api_base
  }
  const wait = config.readiness?.max_total_wait
  if (wait !== undefined) {
    out['readiness-timeout'] = `${configDurationMs(wait, 'readiness.max_total_wait', path, true)}ms`
  }
  if (config.retry?.max_attempts !== undefined)
    out['max-attempts'] = String(config.retry.max_attempts)
  if (config.flags?.allow_dirty !== undefined) out['allow-dirty'] = String(config.flags.allow_dirty)
  return out
}

/**
 * Turns raw inputs (action inputs or CLI flags) plus the shipper config file into one validated
 * options object. Inputs beat the file; the file beats defaults.
 */
export async function parseOptions(raw: RawInputs, ctx: ParseContext): Promise<Options> {
  for (const name of Object.keys(raw)) specOf(name)
  const bare = new InputReader(raw, {})
  const manifestPath = resolve(ctx.cwd, bare.get('manifest-path'))
  const configInput = bare.get('config')
  const configPath = configInput
    ? resolve(ctx.cwd, configInput)
    : [resolve(dirname(manifestPath), '.shipper.toml')].find(p => existsSync(p))
  const config = configPath ? await loadShipperConfig(configPath) : {}
  const configName = configPath ?? '.shipper.toml'
  const r = new InputReader(raw, configAsInputs(config, configName))
  const fromConfig = (value: string | number | undefined, key: string, fallback: number) =>
    value === undefined ? fallback : configDurationMs(value, key, configName)

  const registryName = r.get('registry-name')
  if (!REGISTRY_NAME.test(registryName)) {
    throw bad(
      'registry-name',
      registryName,
      'letters, digits, `-` and `_`, starting with a letter or digit'
    )
  }
  const targetRegistry = r.get('target-registry')
  if (!REGISTRY_NAME.test(targetRegistry)) {
    throw bad('target-registry', targetRegistry, 'a cargo registry name such as `crates-io`')
  }
  if (registryName === targetRegistry || registryName === CRATES_IO.name) {
    throw new UserError(
      `input \`registry-name\` '${registryName}' is the live target registry`,
      'the rehearsal registry needs its own name, e.g. `rehearsal`',
      2
    )
  }

  const options: Options = {
    mode: r.oneOf('mode', ['rehearse', 'publish'] as const),
    manifestPath,
    packages: r.list('packages', CRATE_NAME, 'crate names separated by commas or newlines'),
    registryUrl: r.url('registry-url'),
    registryName,
    registryToken: r.get('registry-token'),
    registryWaitMs: r.duration('registry-wait'),
    registryUser: r.get('registry-user'),
    registryPassword: r.get('registry-password'),
    smokeInstall: r.list(
      'smoke-install',
      CRATE_NAME,
      'crate names separated by commas or newlines'
    ),
    smokeBuild: r.bool('smoke-build'),
    skipRehearsal: r.bool('skip-rehearsal'),
    stateDir: r.get('state-dir'),
    artifactName: r.get('artifact-name'),
    retentionDays: r.int('retention-days', 1, 90),
    rehearsalRunId: r.int('rehearsal-run-id', 1, Number.MAX_SAFE_INTEGER),
    githubToken: r.get('github-token') || ctx.env.GITHUB_TOKEN || '',
    statusCheck: r.bool('status-check'),
    targetRegistry,
    targetRegistryUrl: r.url('target-registry-url'),
    token: r.get('token'),
    trustedPublishing: r.oneOf('trusted-publishing', ['auto', 'true', 'false'] as const),
    dryRun: r.bool('dry-run'),
    maxConcurrency: r.int('max-concurrency', 1, 64) ?? 4,
    readinessTimeoutMs: r.duration('readiness-timeout'),
    maxAttempts: r.int('max-attempts', 1, 100) ?? 6,
    retryBaseMs: fromConfig(config.retry?.base_delay, 'retry.base_delay', 2000),
    retryMaxMs: fromConfig(config.retry?.max_delay, 'retry.max_delay', 120_000),
    bind: r.oneOf('bind', ['plan', 'content'] as const),
    verify: r.oneOf('verify', ['auto', 'always'] as const),
    cache: r.bool('cache'),
    allowDirty: r.bool('allow-dirty'),
    configPath
  }
  if (!options.stateDir || /[\0]/.test(options.stateDir))
    throw bad('state-dir', options.stateDir, 'a directory path')
  if (!/^[^"/:<>|*?\\\r\n]+$/.test(options.artifactName)) {
    throw bad(
      'artifact-name',
      options.artifactName,
      'a name without " : < > | * ? / \\ or newlines'
    )
  }
  if (!existsSync(manifestPath)) {
    throw new UserError(
      `manifest ${manifestPath} does not exist`,
      'set `manifest-path` to the workspace Cargo.toml (relative to the repository root); did you run actions/checkout?',
      2
    )
  }
  return options
}

/** The state dir as an absolute path: relative values are resolved against the workspace root. */
export function resolveStateDir(options: Pick<Options, 'stateDir'>, workspaceRoot: string): string {
  return isAbsolute(options.stateDir) ? options.stateDir : resolve(workspaceRoot, options.stateDir)
}

/**
 * The state dir, resolved and created. A path that exists but is not a directory is an input
 * error, caught before anything is recorded.
 */
export async function prepareStateDir(
  options: Pick<Options, 'stateDir'>,
  workspaceRoot: string
): Promise<string> {
  const dir = resolveStateDir(options, workspaceRoot)
  try {
    await mkdir(dir, { recursive: true })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UserError(
      `input \`state-dir\`: ${dir} cannot be used as a directory (${code ?? 'error'})`,
      'point `state-dir` at a directory (the default is .shipper in the workspace root)',
      2
    )
  }
  return dir
}
