import { createHash } from 'node:crypto'
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { copyCheckout, type CheckoutCopy } from '../checkout/copy.js'
import type { GitRunner } from '../checkout/git.js'
import type { ContentDigest, Plan } from '../plan/types.js'

/**
 * The copy cargo packages in, in either mode: the checkout as cargo sees it, plus every file the
 * digest says cargo packages from the checkout, and never the state dir.
 */
export async function copyForCargo(
  plan: Pick<Plan, 'workspaceRoot'>,
  digest: ContentDigest,
  dest: string,
  stateDir: string,
  git: GitRunner
): Promise<CheckoutCopy> {
  const sources = Object.values(digest.entries ?? {}).flatMap(entries =>
    entries.flatMap(e => (e.source ? [e.source] : []))
  )
  const copy = await copyCheckout(plan.workspaceRoot, dest, { stateDir, alsoCopy: sources, git })
  if (digest.resolvedLock !== undefined) {
    writeFileSync(join(copy.workspaceRoot, 'Cargo.lock'), digest.resolvedLock)
    // In the checkout cargo writes this lock after its dirty check; here it must not count as an
    // uncommitted file either.
    if (copy.via === 'git') {
      const rel = relative(dest, join(copy.workspaceRoot, 'Cargo.lock')).split(sep).join('/')
      appendFileSync(join(dest, '.git', 'info', 'exclude'), `\n/${rel}\n`)
    }
  }
  // `--locked` lets cargo create a missing lock: the copy must hold the very lock the digest bound.
  const bound = Object.values(digest.entries ?? {})
    .flat()
    .find(e => e.path === 'Cargo.lock')?.sha256
  const lockPath = join(copy.workspaceRoot, 'Cargo.lock')
  const held = existsSync(lockPath)
    ? createHash('sha256').update(readFileSync(lockPath)).digest('hex')
    : undefined
  if (bound !== undefined && held !== bound) {
    throw new Error(
      `the copy of ${plan.workspaceRoot} does not hold the Cargo.lock the digest bound`
    )
  }
  return copy
}
