/**
 * Cargo's version requirement matching (the rules of the `semver` crate cargo uses), enough to
 * tell whether a registry already holds a version a dependency requirement accepts.
 */

export interface Version {
  major: number
  minor: number
  patch: number
  /** Dot-separated pre-release identifiers; empty for a release. */
  pre: string[]
}

type Op = '=' | '>' | '>=' | '<' | '<=' | '~' | '^' | '*'

interface Comparator {
  op: Op
  major: number
  /** undefined when omitted or a wildcard (`1`, `1.*`). */
  minor: number | undefined
  patch: number | undefined
  pre: string[]
}

const NUMBER = /^(0|[1-9]\d*)$/
const IDENT = /^[0-9A-Za-z-]+$/

export function parseVersion(text: string): Version | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(text.trim())
  if (!match) return undefined
  const [, major, minor, patch, pre] = match
  if (![major, minor, patch].every(n => NUMBER.test(n ?? ''))) return undefined
  const preIds = parsePre(pre)
  if (preIds === undefined) return undefined
  return { major: Number(major), minor: Number(minor), patch: Number(patch), pre: preIds }
}

/** True when `version` satisfies the cargo requirement `req` (e.g. `^1.2`, `>=1, <2`, `1.*`). */
export function matchesReq(req: string, version: string): boolean {
  const v = parseVersion(version)
  if (!v) return false
  const comparators = parseReq(req)
  if (!comparators.every(c => matchesComparator(c, v))) return false
  if (v.pre.length === 0) return true
  // A pre-release only matches when some comparator names the same x.y.z with a pre-release.
  return comparators.some(
    c => c.major === v.major && c.minor === v.minor && c.patch === v.patch && c.pre.length > 0
  )
}

/** Parses a requirement; throws on text cargo would reject. */
export function parseReq(req: string): Comparator[] {
  const text = req.trim()
  if (text === '*') return []
  if (text === '') throw new Error(`invalid version requirement '${req}'`)
  const comparators = text.split(',').map(part => parseComparator(part, req))
  // cargo accepts a bare wildcard only as the whole requirement.
  if (comparators.length > 1 && comparators.some(c => c.op === '*')) {
    throw new Error(`invalid version requirement '${req}'`)
  }
  return comparators
}

function parseComparator(part: string, req: string): Comparator {
  const invalid = () => new Error(`invalid version requirement '${req}'`)
  const match = /^\s*(=|>=|<=|>|<|~|\^)?\s*([^\s]+)\s*$/.exec(part)
  if (!match) throw invalid()
  const explicitOp = match[1] as Op | undefined
  const [core, ...buildParts] = (match[2] ?? '').split('+')
  if (buildParts.length > 1 || core === undefined) throw invalid()
  const dash = core.indexOf('-')
  const numbers = (dash === -1 ? core : core.slice(0, dash)).split('.')
  const pre = parsePre(dash === -1 ? undefined : core.slice(dash + 1))
  if (pre === undefined || numbers.length > 3) throw invalid()

  const parts: (number | undefined)[] = []
  let wildcard = false
  for (const n of numbers) {
    if (n === '*' || n === 'x' || n === 'X') {
      wildcard = true
      parts.push(undefined)
    } else if (NUMBER.test(n) && !wildcard) {
      parts.push(Number(n))
    } else {
      throw invalid()
    }
  }
  const [major, minor, patch] = parts
  if (wildcard && pre.length > 0) throw invalid()
  if (major === undefined) {
    if (explicitOp !== undefined) throw invalid()
    return { op: '*', major: 0, minor: undefined, patch: undefined, pre: [] }
  }
  if (pre.length > 0 && patch === undefined) throw invalid()
  const op: Op = explicitOp ?? (wildcard ? '=' : '^')
  return { op, major, minor, patch, pre }
}

function parsePre(pre: string | undefined): string[] | undefined {
  if (pre === undefined) return []
  const ids = pre.split('.')
  if (ids.some(id => !IDENT.test(id) || (/^\d+$/.test(id) && !NUMBER.test(id)))) return undefined
  return ids
}

function matchesComparator(c: Comparator, v: Version): boolean {
  switch (c.op) {
    case '*':
      return true
    case '=':
      return matchesExact(c, v)
    case '>':
      return matchesGreater(c, v)
    case '>=':
      return matchesExact(c, v) || matchesGreater(c, v)
    case '<':
      return matchesLess(c, v)
    case '<=':
      return matchesExact(c, v) || matchesLess(c, v)
    case '~':
      return matchesTilde(c, v)
    case '^':
      return matchesCaret(c, v)
  }
}

function matchesExact(c: Comparator, v: Version): boolean {
  if (v.major !== c.major) return false
  if (c.minor !== undefined && v.minor !== c.minor) return false
  if (c.patch !== undefined && v.patch !== c.patch) return false
  return comparePre(v.pre, c.pre) === 0
}

function matchesGreater(c: Comparator, v: Version): boolean {
  if (v.major !== c.major) return v.major > c.major
  if (c.minor === undefined) return false
  if (v.minor !== c.minor) return v.minor > c.minor
  if (c.patch === undefined) return false
  if (v.patch !== c.patch) return v.patch > c.patch
  return comparePre(v.pre, c.pre) > 0
}

function matchesLess(c: Comparator, v: Version): boolean {
  if (v.major !== c.major) return v.major < c.major
  if (c.minor === undefined) return false
  if (v.minor !== c.minor) return v.minor < c.minor
  if (c.patch === undefined) return false
  if (v.patch !== c.patch) return v.patch < c.patch
  return comparePre(v.pre, c.pre) < 0
}

function matchesTilde(c: Comparator, v: Version): boolean {
  if (v.major !== c.major) return false
  if (c.minor !== undefined && v.minor !== c.minor) return false
  if (c.patch !== undefined && v.patch !== c.patch) return v.patch > c.patch
  return comparePre(v.pre, c.pre) >= 0
}

function matchesCaret(c: Comparator, v: Version): boolean {
  if (v.major !== c.major) return false
  if (c.minor === undefined) return true
  if (c.patch === undefined) return c.major > 0 ? v.minor >= c.minor : v.minor === c.minor
  if (c.major > 0) {
    if (v.minor !== c.minor) return v.minor > c.minor
    if (v.patch !== c.patch) return v.patch > c.patch
  } else if (c.minor > 0) {
    if (v.minor !== c.minor) return false
    if (v.patch !== c.patch) return v.patch > c.patch
  } else if (v.minor !== c.minor || v.patch !== c.patch) {
    return false
  }
  return comparePre(v.pre, c.pre) >= 0
}

/** SemVer precedence of pre-release lists; a release (empty list) ranks above any pre-release. */
function comparePre(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return b.length - a.length
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as string
    const y = b[i] as string
    if (x === y) continue
    const xNum = /^\d+$/.test(x)
    const yNum = /^\d+$/.test(y)
    if (xNum && yNum) return x.length !== y.length ? x.length - y.length : x < y ? -1 : 1
    if (xNum !== yNum) return xNum ? -1 : 1
    return x < y ? -1 : 1
  }
  return a.length - b.length
}

/** The version as crates.io compares it for duplicates: build metadata does not count. */
export function withoutBuild(version: string): string {
  const plus = version.indexOf('+')
  return plus === -1 ? version : version.slice(0, plus)
}

export function isSemver(version: string): boolean {
  return parseVersion(version) !== undefined
}

/** SemVer precedence (build metadata ignored); an unparsable version sorts first. */
export function compareVersions(a: string, b: string): number {
  const va = parseVersion(a)
  const vb = parseVersion(b)
  if (!va || !vb) return va ? 1 : vb ? -1 : 0
  return (
    Math.sign(va.major - vb.major) ||
    Math.sign(va.minor - vb.minor) ||
    Math.sign(va.patch - vb.patch) ||
    Math.sign(comparePre(va.pre, vb.pre))
  )
}
