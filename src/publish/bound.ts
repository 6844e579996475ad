import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { checkPackagedCrates, describeDifference, entryDifference } from '../bind/compare.js'
import { copyForCargo } from '../bind/copy.js'
import { prefixSha256 } from '../bind/evidence.js'
import { MAX_EVENTS_BYTES, type ReadEventsResult } from '../record/events.js'
import type { ReadRehearsalResult } from '../record/rehearsal.js'
import type { CargoRunner } from '../cargo/run.js'
import type { GitRunner } from '../checkout/git.js'
import { cargoErrorLine } from '../plan/cargo-error.js'
import { computeContentDigest, RESOLUTION_ENTRY } from '../plan/digest.js'
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
    private readonly workspaceRoot: string,
    private readonly scratch: string,
    readonly verify: PublishCopy,
    readonly upload: PublishCopy,
    private readonly digest: ContentDigest,
    private readonly git: GitRunner
  ) {}

  /** Both copies hold a lock (the checkout's, or the one the digest resolved): cargo keeps it. */
  readonly locked = true

  static async create(
    plan: Pick<Plan, 'workspaceRoot'>,
    digest: ContentDigest,
    manifestPath: string,
    stateDir: string,
    env: Record<string, string | undefined>,
    git: GitRunner
  ): Promise<PublishCopies> {
    const scratch = await mkdtemp(join(tmpdir(), 'shipper-publish-'))
    const manifestRel = relative(plan.workspaceRoot, resolve(manifestPath))
    const make = async (name: string, targetDir: string): Promise<PublishCopy> => {
      const copy = await copyForCargo(plan, digest, join(scratch, name), stateDir, git)
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
      return new PublishCopies(plan.workspaceRoot, scratch, verify, upload, digest, git)
    } catch (error) {
      await rm(scratch, { recursive: true, force: true })
      throw error
    }
  }

  /**
   * Checks that the upload copy still holds what the gate accepted: its digest of `crates` (every
   * file cargo lists, the manifests, the lock) equals the accepted one, and the `.crate`s cargo
   * packages from it without building (no code runs) hold exactly the digest's files. Returns
   * the first difference as one line. The upload path calls it before every upload; the publish
   * calls it once for all crates before the first.
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
    const inCopy = crates.map(c => ({
      ...c,
      manifestPath: join(this.upload.root, relative(this.workspaceRoot, c.manifestPath))
    }))
    const now = await computeContentDigest(
      { packages: inCopy, workspaceRoot: this.upload.root },
      { cargo: run.cargo, git: this.git, env: run.env }
    )
    for (const crate of crates) {
      const changed = entryDifference(
        this.digest.entries?.[crate.name] ?? [],
        now.entries?.[crate.name] ?? [],
        // Read from where the copy lies, not from where the checkout does.
        new Set([RESOLUTION_ENTRY])
      )
      if (changed) {
        return `${crate.name}@${crate.version}: ${JSON.stringify(changed.file)} ${changed.problem}`
      }
    }
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

/** What the gate needs to know about the event log beyond its events (gate.ts checkProofFiles). */
export async function proofEvidence(
  receipt: ReadRehearsalResult,
  read: ReadEventsResult | undefined,
  eventsFile: string
): Promise<{
  duplicateKeyLines: number[]
  oversized?: { bytes: number; cap: number }
  matchesReceipt?: boolean
}> {
  if (!read || read.missing) return { duplicateKeyLines: [] }
  const out = {
    duplicateKeyLines: read.duplicateKeyLines,
    ...(read.oversized !== undefined
      ? { oversized: { bytes: read.oversized, cap: MAX_EVENTS_BYTES } }
      : {})
  }
  if (receipt.kind !== 'ok' || receipt.receipt.events_sha256 === undefined) return out
  const bytes = receipt.receipt.events_bytes ?? 0
  return {
    ...out,
    matchesReceipt: (await prefixSha256(eventsFile, bytes)) === receipt.receipt.events_sha256
  }
}
