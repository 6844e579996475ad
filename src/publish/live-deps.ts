import type { RunContext } from '../context.js'
import type { Options } from '../options/types.js'
import { fetchRegistryConfig } from '../sparse/client.js'
import type { LiveTarget } from '../target/live.js'
import type { PublishCopies } from './bound.js'
import type { LiveDeps } from './live.js'

export interface LiveRuns {
  /** The uploads, from the copy no code ever ran in. */
  upload: LiveDeps
  /** The verification build, in the second copy. */
  verify: LiveDeps
  /** How a copy's bytes are checked against the accepted digest. */
  checkRun: Parameters<PublishCopies['check']>[1]
}

/**
 * Uploads come from a copy no code ever ran in, each checked against the accepted digest right
 * before it goes; the verification build runs in a second copy.
 */
export async function liveRuns(
  { options, ctx, target }: { options: Options; ctx: RunContext; target: LiveTarget },
  copies: PublishCopies,
  staticToken: string | undefined
): Promise<LiveRuns> {
  const checkRun = {
    cargo: ctx.cargo,
    env: { ...ctx.env, ...target.cargoEnv(undefined) },
    registryArgs: target.registryArgs,
    allowDirty: options.allowDirty
  }
  const upload: LiveDeps = {
    target,
    manifestPath: copies.upload.manifestPath,
    workspaceRoot: copies.upload.root,
    allowDirty: options.allowDirty,
    locked: copies.locked,
    beforeUpload: crate => copies.check([crate], checkRun),
    cargo: ctx.cargo,
    fetch: ctx.fetch,
    clock: ctx.clock,
    env: { ...ctx.env, CARGO_TARGET_DIR: copies.upload.targetDir },
    indexToken: target.isCratesIo ? undefined : staticToken,
    authRequired:
      !target.isCratesIo &&
      (await fetchRegistryConfig(target.indexUrl, {
        fetch: ctx.fetch,
        ...(staticToken ? { token: staticToken } : {})
      }).then(
        config => config['auth-required'] === true,
        () => false
      ))
  }
  const verify: LiveDeps = {
    ...upload,
    manifestPath: copies.verify.manifestPath,
    workspaceRoot: copies.verify.root,
    env: { ...ctx.env, CARGO_TARGET_DIR: copies.verify.targetDir }
  }
  return { upload, verify, checkRun }
}
