/**
 * Upload validation, pure. In crates.io-strict mode it rejects what crates.io rejects, in crates.io's
 * words, so a rehearsal fails where the real publish would. The manifest rules are crates.io's
 * rule set in src/crates-io-rules.ts, which the action's own preflight applies too; this
 * module adds what only an upload shows (size, dependency tables, the registry's contents).
 * Non-strict mode only keeps the index sound, like kellnr.
 *
 * crates.io checks not mirrored here: feature-name syntax and counts, rust-version syntax (cargo
 * checks most of these itself).
 */
import { CRATES_IO } from '../crates-io.js'
import type { PublishMetadata } from './publish-body.js'
import {
  crateNameProblem,
  cratesIoProblems,
  isReservedName,
  MAX_NAME_LENGTH,
  MAX_UPLOAD_BYTES,
  missingFieldsMessage
} from '../crates-io-rules.js'
import { isSemver, withoutBuild } from '../util/semver.js'

export {
  canonicalName,
  crateNameProblem,
  isValidKeyword,
  MAX_UPLOAD_BYTES
} from '../crates-io-rules.js'

export interface Rejection {
  status: number
  detail: string
}

/** Room for the metadata JSON on top of the largest accepted .crate. */
export const MAX_BODY_BYTES = MAX_UPLOAD_BYTES + 1024 * 1024

export const tooLarge: Rejection = {
  status: 413,
  detail: `max upload size is: ${MAX_UPLOAD_BYTES}`
}

/** Index URLs cargo uses for crates.io dependencies in publish metadata. */
const CRATES_IO_INDEXES = [CRATES_IO.gitIndexUrl, CRATES_IO.indexUrl].map(normalizeIndexUrl)

const bad = (detail: string): Rejection => ({ status: 400, detail })

/** crates.io's rule for a dependency's TOML key (it may start with `_`). */
export function dependencyKeyProblem(name: string): string | null {
  const chars = [...name]
  if (chars.length > MAX_NAME_LENGTH) {
    return `the dependency name \`${name}\` is too long (max ${MAX_NAME_LENGTH} characters)`
  }
  const first = chars[0]
  if (first === undefined) return 'dependency name cannot be empty'
  if (/[0-9]/.test(first)) {
    return `the name \`${name}\` cannot be used as a dependency name, the name cannot start with a digit`
  }
  if (!/[A-Za-z_]/.test(first)) {
    return `invalid character \`${first}\` in dependency name: \`${name}\`, the first character must be an ASCII character, or \`_\``
  }
  const wrong = chars.find(c => !/[A-Za-z0-9_-]/.test(c))
  if (wrong !== undefined) {
    return `invalid character \`${wrong}\` in dependency name: \`${name}\`, characters must be an ASCII alphanumeric characters, \`-\`, or \`_\``
  }
  return null
}

function empty(s: string | null | undefined): boolean {
  return s === undefined || s === null || s === ''
}

function urlProblem(url: string | null | undefined, field: string): string | null {
  if (empty(url)) return null
  const u = url as string
  if (!u.startsWith('http://') && !u.startsWith('https://')) {
    return `URL for field \`${field}\` must begin with http:// or https:// (url: ${u})`
  }
  try {
    new URL(u)
  } catch {
    return `\`${field}\` is not a valid url: \`${u}\``
  }
  return null
}

function normalizeIndexUrl(url: string): string {
  return url.replace(/^sparse\+/, '').replace(/\/+$/, '')
}

/**
 * Checks crates.io makes before authenticating: the crate name and the version. Non-strict mode
 * still refuses names and versions that would corrupt the index or the file layout.
 */
export function checkIdentity(metadata: PublishMetadata, strict: boolean): Rejection | null {
  if (strict) {
    const problem = crateNameProblem(metadata.name, 'crate')
    if (problem) return bad(problem)
    if (!isSemver(metadata.vers)) return bad(`"${metadata.vers}" is an invalid semver version`)
    return null
  }
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(metadata.name)) {
    return bad(`ERROR: invalid crate name: ${metadata.name}`)
  }
  if (!isSemver(metadata.vers)) return bad(`ERROR: invalid version: ${metadata.vers}`)
  return null
}

/** crates.io's metadata checks, in crates.io's order. `ownIndexUrl` is this registry's index. */
export function checkMetadataStrict(
  metadata: PublishMetadata,
  crateBytes: number,
  ownIndexUrl: string
): Rejection | null {
  if (crateBytes > MAX_UPLOAD_BYTES) return tooLarge

  const problems = cratesIoProblems({
    name: metadata.name,
    description: metadata.description,
    license: metadata.license,
    licenseFile: metadata.license_file,
    keywords: metadata.keywords,
    categories: metadata.categories
  })
  const missing = problems.flatMap(p => (p.missing ? [p.missing] : []))
  if (missing.length > 0) return bad(missingFieldsMessage(missing))
  for (const field of ['homepage', 'documentation', 'repository'] as const) {
    const problem = urlProblem(metadata[field], field)
    if (problem) return bad(problem)
  }
  // The name was judged before authentication (checkIdentity); a reserved one is refused last.
  const first = problems.find(p => p.field !== 'package.name')
  if (first) return bad(first.message)

  const allowed = new Set([...CRATES_IO_INDEXES, normalizeIndexUrl(ownIndexUrl)])
  for (const dep of metadata.deps) {
    const nameProblem = crateNameProblem(dep.name, 'dependency')
    if (nameProblem) return bad(nameProblem)
    if (dep.registry && !allowed.has(normalizeIndexUrl(dep.registry))) {
      return bad(
        `Dependency \`${dep.name}\` is hosted on another registry. Cross-registry dependencies are not permitted on crates.io.`
      )
    }
    if (dep.version_req.trim() === '*') {
      return bad(
        `wildcard (\`*\`) dependency constraints are not allowed on crates.io. Crate with this problem: \`${dep.name}\` See https://doc.rust-lang.org/cargo/faq.html#can-libraries-use--as-a-version-for-their-dependencies for more information`
      )
    }
    if (dep.explicit_name_in_toml) {
      const keyProblem = dependencyKeyProblem(dep.explicit_name_in_toml)
      if (keyProblem) return bad(keyProblem)
    }
  }
  if (isReservedName(metadata.name)) return bad('cannot upload a crate with a reserved name')
  return null
}

/** What the registry holds, as the checks below need to see it. */
export interface RegistryView {
  /** The stored crate that `name` maps to (strict: up to case and -/_; otherwise up to case). */
  find(name: string): { name: string; versions: string[] } | undefined
  /** A crate with exactly this name is stored. */
  hasExact(name: string): boolean
}

/** Checks against what is already published; run under the registry's write lock. */
export function checkAgainstRegistry(
  metadata: PublishMetadata,
  view: RegistryView,
  strict: boolean
): Rejection | null {
  const existing = view.find(metadata.name)
  if (existing && existing.name !== metadata.name) {
    return bad(
      strict
        ? `crate was previously named \`${existing.name}\``
        : `ERROR: crate was previously named \`${existing.name}\``
    )
  }
  const version = withoutBuild(metadata.vers)
  if (existing?.versions.some(v => withoutBuild(v) === version)) {
    return bad(
      strict
        ? `crate version \`${version}\` is already uploaded`
        : `ERROR: Crate with version already exists: ${metadata.name}-${metadata.vers}`
    )
  }
  if (strict) {
    const unknown = metadata.deps.find(d => !d.registry && !view.hasExact(d.name))
    if (unknown) return bad(`no known crate named \`${unknown.name}\``)
  }
  return null
}
