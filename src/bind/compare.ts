import { join } from 'node:path'
import type { DigestEntry } from '../plan/digest.js'
import type { ContentDigest, PlannedCrate } from '../plan/types.js'
import { readCrateFiles, type ArchiveFile } from './archive.js'

/** Written by cargo into every `.crate`: no file of the checkout stands for them. */
const CARGO_WRITES = new Set(['.cargo_vcs_info.json', 'Cargo.toml', 'Cargo.lock'])

export interface CrateDifference {
  crate: Pick<PlannedCrate, 'name' | 'version'>
  /** The first file that differs, as cargo names it inside the `.crate`. */
  file: string
  /** One line: what differs. */
  problem: string
}

/**
 * The first difference between a `.crate`'s files and the digest's entries for that crate:
 * a file packaged but not digested, digested but not packaged, other bytes or another mode.
 * `Cargo.toml.orig` is compared unless `manifestRewritten` (the rehearsal's copy rewrites it).
 */
export function compareCrateFiles(
  crate: Pick<PlannedCrate, 'name' | 'version'>,
  files: readonly ArchiveFile[],
  entries: readonly DigestEntry[],
  manifestRewritten = false
): CrateDifference | undefined {
  const skip = (path: string) =>
    CARGO_WRITES.has(path) ||
    path.startsWith('<') ||
    (manifestRewritten && path === 'Cargo.toml.orig')
  const digested = new Map(entries.filter(e => !skip(e.path)).map(e => [e.path, e]))
  const differ = (file: string, problem: string) => ({ crate, file, problem })
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    if (skip(file.path)) continue
    const entry = digested.get(file.path)
    digested.delete(file.path)
    if (!entry) return differ(file.path, 'is in the package but not in the content digest')
    if (entry.sha256 !== file.sha256) {
      return differ(file.path, 'has other bytes in the package than in the content digest')
    }
    const mode = entry.mode ?? '644'
    if (file.mode !== mode) {
      return differ(
        file.path,
        `has mode ${file.mode} in the package, ${mode} in the content digest`
      )
    }
  }
  const missing = [...digested.keys()].sort()[0]
  return missing === undefined
    ? undefined
    : differ(missing, 'is in the content digest but not in the package')
}

/** Where `cargo package` leaves a crate's archive. */
export function packagedCratePath(
  targetDir: string,
  crate: Pick<PlannedCrate, 'name' | 'version'>
): string {
  return join(targetDir, 'package', `${crate.name}-${crate.version}.crate`)
}

/**
 * Checks every packaged `.crate` of `crates` against the digest; the first difference, if any.
 * A digest without entries (computed elsewhere) cannot be checked and is an error.
 */
export async function checkPackagedCrates(
  crates: readonly PlannedCrate[],
  targetDir: string,
  digest: ContentDigest,
  rewritten: (crate: PlannedCrate) => boolean = () => false
): Promise<CrateDifference | undefined> {
  for (const crate of crates) {
    const entries = digest.entries?.[crate.name]
    if (!entries) throw new Error(`the content digest has no entries for ${crate.name}`)
    const files = await readCrateFiles(packagedCratePath(targetDir, crate))
    const difference = compareCrateFiles(crate, files, entries, rewritten(crate))
    if (difference) return difference
  }
  return undefined
}

export function describeDifference(d: CrateDifference): string {
  return `${d.crate.name}@${d.crate.version}: ${JSON.stringify(d.file)} ${d.problem}`
}

/**
 * The first entry two digests of one crate disagree on (path, bytes or mode); `ignore` leaves
 * synthetic entries out that depend on where the files lie rather than on what they hold.
 */
export function entryDifference(
  expected: readonly DigestEntry[],
  actual: readonly DigestEntry[],
  ignore: ReadonlySet<string> = new Set()
): { file: string; problem: string } | undefined {
  const want = new Map(expected.filter(e => !ignore.has(e.path)).map(e => [e.path, e]))
  const have = new Map(actual.filter(e => !ignore.has(e.path)).map(e => [e.path, e]))
  for (const path of [...new Set([...want.keys(), ...have.keys()])].sort()) {
    const a = want.get(path)
    const b = have.get(path)
    if (!a) return { file: path, problem: 'appeared after the gate checked the sources' }
    if (!b) return { file: path, problem: 'disappeared after the gate checked the sources' }
    if (a.sha256 !== b.sha256) return { file: path, problem: 'changed after the gate checked it' }
    if ((a.mode ?? '644') !== (b.mode ?? '644')) {
      return { file: path, problem: 'changed mode after the gate checked it' }
    }
  }
  return undefined
}
