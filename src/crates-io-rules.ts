/**
 * crates.io's upload rules, pure: the one rule set both the action's own preflight (every planned
 * crate, whatever the rehearsal registry) and the embedded registry's strict mode apply.
 *
 * Facts, read from rust-lang/crates.io (publish controller, `crates_io_validation`, the
 * `reserved_crate_names` migrations, `licenses.rs`; main of 2026-08-21):
 * - `description` and (`license` or `license-file`) must be non-empty; a description is at most
 *   1000 bytes.
 * - `license` is parsed by the `spdx` crate with `/` accepted as OR, deprecated identifiers and
 *   GPL's postfix `+` accepted, identifiers case-sensitive, operators in any case, unknown
 *   identifiers refused. spdx-expression-parse (npm) has the same grammar and list.
 * - at most 5 keywords, each at most 20 bytes, starting with an ASCII letter or digit and then
 *   only ASCII letters, digits, `_`, `-`, `+`; at most 5 categories.
 * - an unknown category slug is refused: crates.io turned that warning into an error in June
 *   2024 (commit 26ead88f), so it is an error here too.
 * - crate names: at most 64 characters, an ASCII letter first, then ASCII letters, digits, `-`,
 *   `_`; a name equal to a reserved one up to case and `-`/`_` is refused for a new crate.
 * - the upload is at most 10 MiB.
 */
import parseSpdx from 'spdx-expression-parse'
import { CRATES_IO_CATEGORIES } from './crates-io-categories.js'

export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024
export const MAX_NAME_LENGTH = 64
export const MAX_DESCRIPTION_LENGTH = 1000
export const MAX_KEYWORDS = 5
export const MAX_KEYWORD_LENGTH = 20
export const MAX_CATEGORIES = 5

/** crates.io's reserved crate names (its first migration, then Windows device names). */
const RESERVED_NAMES = [
  'alloc',
  'arena',
  'ast',
  'builtins',
  'collections',
  'compiler-builtins',
  'compiler-rt',
  'compiletest',
  'core',
  'coretest',
  'debug',
  'driver',
  'flate',
  'fmt_macros',
  'grammar',
  'graphviz',
  'macro',
  'macros',
  'proc_macro',
  'rbml',
  'rust-installer',
  'rustbook',
  'rustc',
  'rustc_back',
  'rustc_borrowck',
  'rustc_driver',
  'rustc_llvm',
  'rustc_resolve',
  'rustc_trans',
  'rustc_typeck',
  'rustdoc',
  'rustllvm',
  'rustuv',
  'serialize',
  'std',
  'syntax',
  'test',
  'unicode',
  'nul',
  'con',
  'prn',
  'aux',
  ...Array.from({ length: 10 }, (_, i) => `com${i}`),
  ...Array.from({ length: 10 }, (_, i) => `lpt${i}`)
]

/** crates.io's `canon_crate_name`: names equal up to case and `-`/`_` are the same crate. */
export function canonicalName(name: string): string {
  return name.toLowerCase().replace(/-/g, '_')
}

const RESERVED = new Set(RESERVED_NAMES.map(canonicalName))

export function isReservedName(name: string): boolean {
  return RESERVED.has(canonicalName(name))
}

/** crates.io's crate-name rule; `what` is "crate" or "dependency". */
export function crateNameProblem(name: string, what: 'crate' | 'dependency'): string | null {
  const chars = [...name]
  if (chars.length > MAX_NAME_LENGTH) {
    return `the ${what} name \`${name}\` is too long (max ${MAX_NAME_LENGTH} characters)`
  }
  const first = chars[0]
  if (first === undefined) return `${what} name cannot be empty`
  if (/[0-9]/.test(first)) {
    return `the name \`${name}\` cannot be used as a ${what} name, the name cannot start with a digit`
  }
  if (!/[A-Za-z]/.test(first)) {
    return `invalid character \`${first}\` in ${what} name: \`${name}\`, the first character must be an ASCII character`
  }
  const wrong = chars.find(c => !/[A-Za-z0-9_-]/.test(c))
  if (wrong !== undefined) {
    return `invalid character \`${wrong}\` in ${what} name: \`${name}\`, characters must be an ASCII alphanumeric characters, \`-\`, or \`_\``
  }
  return null
}

/** crates.io's `Keyword::valid_name`. */
export function isValidKeyword(keyword: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_+-]*$/.test(keyword)
}

/** True when crates.io's SPDX parser accepts the expression (with `/` as the legacy OR). */
export function isValidLicenseExpression(license: string): boolean {
  try {
    parseSpdx(license.replace(/\s*\/\s*/g, ' OR '))
    return true
  } catch {
    return false
  }
}

/** The manifest fields crates.io judges, as cargo sends them. */
export interface CrateFields {
  name: string
  description?: string | null
  license?: string | null
  licenseFile?: string | null
  keywords: readonly string[]
  categories: readonly string[]
}

export interface RuleProblem {
  /** The Cargo.toml key at fault (`package.description`, `package.keywords`, ...). */
  field: string
  /** crates.io's own words where it has some. */
  message: string
  /** What to change in the manifest. */
  fix: string
  /** Set for an empty required field: crates.io names all of them in one message. */
  missing?: 'description' | 'license'
}

function empty(s: string | null | undefined): boolean {
  return s === undefined || s === null || s === ''
}

/** crates.io's wording for missing fields, as the embedded registry answers. */
export function missingFieldsMessage(missing: readonly string[]): string {
  return `missing or empty metadata fields: ${missing.join(', ')}. Please see https://doc.rust-lang.org/cargo/reference/manifest.html for more information on configuring these fields`
}

/**
 * Every problem crates.io would refuse the crate's manifest for, in crates.io's order (the
 * registry answers with the first; the preflight lists them all).
 */
export function cratesIoProblems(fields: CrateFields): RuleProblem[] {
  const problems: RuleProblem[] = []
  const nameProblem = crateNameProblem(fields.name, 'crate')
  if (nameProblem) {
    problems.push({
      field: 'package.name',
      message: nameProblem,
      fix: 'rename the crate: ASCII letters, digits, `-` and `_`, a letter first, at most 64 characters'
    })
  } else if (isReservedName(fields.name)) {
    problems.push({
      field: 'package.name',
      message: 'cannot upload a crate with a reserved name',
      fix: `\`${fields.name}\` is reserved on crates.io (Rust's own crates and Windows device names): choose another name`
    })
  }
  if (empty(fields.description)) {
    problems.push({
      field: 'package.description',
      message: missingFieldsMessage(['description']),
      missing: 'description',
      fix: 'add `description = "..."` (one sentence on what the crate does) to [package]'
    })
  } else if (Buffer.byteLength(fields.description ?? '') > MAX_DESCRIPTION_LENGTH) {
    problems.push({
      field: 'package.description',
      message: `The \`description\` is too long. A maximum of ${MAX_DESCRIPTION_LENGTH} characters are currently allowed.`,
      fix: `shorten the description to ${MAX_DESCRIPTION_LENGTH} bytes or less`
    })
  }
  if (empty(fields.license) && empty(fields.licenseFile)) {
    problems.push({
      field: 'package.license',
      message: missingFieldsMessage(['license']),
      missing: 'license',
      fix: 'add an SPDX `license = "MIT OR Apache-2.0"` (or `license-file = "LICENSE"` for a license SPDX does not list) to [package]'
    })
  } else if (!empty(fields.license) && !isValidLicenseExpression(fields.license as string)) {
    problems.push({
      field: 'package.license',
      message: `unknown or invalid license expression \`${fields.license}\`; see http://spdx.org/licenses/ for their identifiers`,
      fix: 'write an SPDX expression of listed identifiers (e.g. `MIT OR Apache-2.0`, case-sensitive), or use `license-file` for a non-standard license'
    })
  }
  if (fields.keywords.length > MAX_KEYWORDS) {
    problems.push({
      field: 'package.keywords',
      message: `expected at most ${MAX_KEYWORDS} keywords per crate`,
      fix: `keep at most ${MAX_KEYWORDS} keywords (it has ${fields.keywords.length})`
    })
  }
  for (const keyword of fields.keywords) {
    if (Buffer.byteLength(keyword) > MAX_KEYWORD_LENGTH) {
      problems.push({
        field: 'package.keywords',
        message: `"${keyword}" is an invalid keyword (keywords must have less than 20 characters)`,
        fix: `shorten "${keyword}" to ${MAX_KEYWORD_LENGTH} characters or less`
      })
    } else if (!isValidKeyword(keyword)) {
      problems.push({
        field: 'package.keywords',
        message: `"${keyword}" is an invalid keyword`,
        fix: `make "${keyword}" start with an ASCII letter or digit and use only ASCII letters, digits, \`_\`, \`-\` and \`+\``
      })
    }
  }
  if (fields.categories.length > MAX_CATEGORIES) {
    problems.push({
      field: 'package.categories',
      message: `expected at most ${MAX_CATEGORIES} categories per crate`,
      fix: `keep at most ${MAX_CATEGORIES} categories (it has ${fields.categories.length})`
    })
  }
  const unknown = fields.categories.filter(c => !CRATES_IO_CATEGORIES.has(c))
  if (unknown.length > 0) {
    problems.push({
      field: 'package.categories',
      message: `The following category slugs are not currently supported on crates.io: ${unknown.join(', ')}`,
      fix: 'use slugs from https://crates.io/category_slugs (e.g. `command-line-utilities`, `development-tools::cargo-plugins`)'
    })
  }
  return problems
}
