/** Every setting of a run, parsed once from action inputs or CLI flags plus `.shipper.toml`. */
export interface Options {
  mode: 'rehearse' | 'publish'
  /** Absolute path of the workspace (or package) manifest. */
  manifestPath: string
  /** Selected crate names; empty = all publishable. */
  packages: string[]
  /** Rehearsal registry: empty = start the embedded registry. Kept as given (base URL or sparse+ index URL). */
  registryUrl: string
  registryName: string
  registryToken: string
  registryWaitMs: number
  registryUser: string
  registryPassword: string
  smokeInstall: string[]
  smokeBuild: boolean
  skipRehearsal: boolean
  /** As given (relative to the workspace root unless absolute). */
  stateDir: string
  artifactName: string
  /** undefined = repository default. */
  retentionDays: number | undefined
  /** undefined = current run. */
  rehearsalRunId: number | undefined
  githubToken: string
  statusCheck: boolean
  targetRegistry: string
  targetRegistryUrl: string
  token: string
  trustedPublishing: 'auto' | 'true' | 'false'
  dryRun: boolean
  maxConcurrency: number
  readinessTimeoutMs: number
  maxAttempts: number
  /** Retry backoff base and cap (from `.shipper.toml` [retry]; no inputs). */
  retryBaseMs: number
  retryMaxMs: number
  bind: 'plan' | 'content'
  /** Publish mode: skip the verification build when the proof already compiled these sources. */
  verify: 'auto' | 'always'
  cache: boolean
  allowDirty: boolean
  /** Absolute path of the config file actually read, if any. */
  configPath: string | undefined
}
