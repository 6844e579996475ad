import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { checkPackagedCrates, describeDifference } from '../bind/compare.js'
import { copyForCargo } from '../bind/copy.js'
import type { CargoRunner } from '../cargo/run.js'
import { cargoErrorLine } from '../plan/cargo-error.js'
import type { ContentDigest, Plan, PlannedCrate } from '../plan/types.js'

/** Where cargo works during a publish: never in the user's checkout. */
export interface PublishCopy {
  root: string
  manifestPath: string
  /** The target dir cargo must use in this copy. */
  targetDir: string
}

/**
 * Two copies of the checkout (bind/copy.ts): cargo's verification build, which runs build
 * scripts and proc macros, works in one; uploads are packaged from the other, in which no code
 * ever runs. So nothing a build does can change what is uploaded or touch the checkout, and the
 * state dir, which the copies never hold, is never packaged.
 */
export class PublishCopies {
  private constructor(
    private readonly scratch: string,
    readonly verify: PublishCopy,
    readonly upload: PublishCopy,
    private readonly digest: ContentDigest
  ) {}

  /** Both copies hold a lock (the checkout's, or the one the digest resolved): cargo keeps it. */
  readonly locked = true

  static async create(
    plan: Pick<Plan, 'workspaceRoot'>,
    digest: ContentDigest,
    manifestPath: string,
    stateDir: string,
    env: Record<string, string | undefined>
  ): Promise<PublishCopies> {
    const scratch = await mkdtemp(join(tmpdir(), 'shipper-publish-'))
    const manifestRel = relative(plan.workspaceRoot, resolve(manifestPath))
    const make = async (name: string, targetDir: string): Promise<PublishCopy> => {
      const copy = await copyForCargo(plan, digest, join(scratch, name), stateDir)
      return {
        root: copy.workspaceRoot,
        manifestPath: join(copy.workspaceRoot, manifestRel),
        targetDir
      }
    }
    try {
      const given = env.CARGO_TARGET_DIR ?? process.env.CARGO_TARGET_DIR
      const verify = await make('verify', given ? resolve(given) : join(scratch, 'verify-target'))
      const upload = await make('upload', join(scratch, 'upload-target'))
      return new PublishCopies(scratch, verify, upload, digest)
    } catch (error) {
      await rm(scratch, { recursive: true, force: true })
      throw error
    }
  }

  /**
   * Packages `crates` in the upload copy without building (no code runs) and compares every
   * `.crate` with the digest the gate accepted; returns the first difference as one line. The
   * upload path calls it before every upload; the publish calls it once for all crates first.
   */
  async check(
    crates: readonly PlannedCrate[],
    run: {
      cargo: CargoRunner
      env: Record<string, string | undefined>
      registryArgs: readonly string[]
      allowDirty: boolean
    }
  ): Promise<string | undefined> {
    const args = [
      'package',
      ...crates.flatMap(c => ['-p', c.name]),
      '--no-verify',
      '--manifest-path',
      this.upload.manifestPath,
      ...run.registryArgs,
      '--locked',
      ...(run.allowDirty ? ['--allow-dirty'] : [])
    ]
    const result = await run.cargo(args, {
      cwd: this.upload.root,
      env: { ...run.env, CARGO_TARGET_DIR: this.upload.targetDir }
    })
    if (result.exitCode !== 0) {
      return `packaging ${crates.map(c => c.name).join(', ')} to check it failed: ${cargoErrorLine(result.stderr)}`
    }
    const difference = await checkPackagedCrates(crates, this.upload.targetDir, this.digest)
    return difference && `${describeDifference(difference)}: not what the gate checked`
  }

  async dispose(): Promise<void> {
    await rm(this.scratch, { recursive: true, force: true })
  }
}
