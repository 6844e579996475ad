import type { CargoResult, CargoRunner } from '../cargo/run.js'
import type { Clock } from '../clock.js'
import type { PlannedCrate } from '../plan/types.js'
import { fetchIndexEntries, waitForVersion } from '../sparse/client.js'
import type { LivePort } from './executor.js'
import type { LiveTarget } from '../target/live.js'

export interface LiveDeps {
  target: LiveTarget
  manifestPath: string
  workspaceRoot: string
  allowDirty: boolean
  cargo: CargoRunner
  fetch: typeof fetch
  clock: Clock
  /** Environment every cargo call gets on top of the process's (tests: their sandbox). */
  env: Record<string, string | undefined>
  /**
   * Token for reading the index of a registry that requires one. Never sent to crates.io's
   * index, which is public: a token there would only be a leak.
   */
  indexToken: string | undefined
  /** config.json `auth-required` of the live registry. */
  authRequired: boolean
  /** `--locked`: cargo uses the lock file as it is and never rewrites it. */
  locked: boolean
  /** Run before every upload (LivePort.checkBeforeUpload): PublishCopies.check. */
  beforeUpload?: (crate: PlannedCrate) => Promise<string | undefined>
}

function commonArgs(deps: LiveDeps): string[] {
  return [
    '--manifest-path',
    deps.manifestPath,
    ...deps.target.registryArgs,
    ...(deps.allowDirty ? ['--allow-dirty'] : []),
    ...(deps.locked ? ['--locked'] : [])
  ]
}

/** The real live registry: cargo for uploads, the sparse index for everything the executor reads. */
export function liveRegistry(deps: LiveDeps): LivePort {
  const token = deps.target.isCratesIo ? undefined : deps.indexToken
  const readOptions = { fetch: deps.fetch, ...(token ? { token } : {}) }
  return {
    entries: name => fetchIndexEntries(deps.target.indexUrl, name, readOptions),
    ...(deps.beforeUpload ? { checkBeforeUpload: deps.beforeUpload } : {}),
    async upload(crate, uploadToken) {
      const args = ['publish', '-p', crate.name, '--no-verify', ...commonArgs(deps)]
      const result = await deps.cargo(args, {
        cwd: deps.workspaceRoot,
        env: { ...deps.env, ...deps.target.cargoEnv(uploadToken) }
      })
      return { ...result, command: `cargo ${args.join(' ')}` }
    },
    waitVisible: (name, version, timeoutMs, onPoll) =>
      waitForVersion(deps.target.indexUrl, name, version, {
        ...readOptions,
        timeoutMs,
        clock: deps.clock,
        onPoll
      })
  }
}

/**
 * Packages and verify-builds every crate about to be uploaded in one cargo invocation, before
 * anything is uploaded. cargo (>= 1.90) packages the selected members into a local overlay, so a
 * crate whose in-plan dependencies are not on the live registry yet still resolves them.
 */
export async function verifyCrates(
  crates: readonly PlannedCrate[],
  deps: LiveDeps
): Promise<CargoResult & { command: string }> {
  const args = ['package', ...crates.flatMap(c => ['-p', c.name]), ...commonArgs(deps)]
  // The verification build runs build scripts: it gets the token only when the registry will
  // not serve its index without one.
  const result = await deps.cargo(args, {
    cwd: deps.workspaceRoot,
    env: { ...deps.env, ...deps.target.cargoEnv(deps.authRequired ? deps.indexToken : undefined) }
  })
  return { ...result, command: `cargo ${args.join(' ')}` }
}
