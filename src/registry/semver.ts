/** The small part of SemVer 2.0 the registry needs: validity, build-metadata folding, precedence. */

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/

export function isSemver(version: string): boolean {
  return SEMVER.test(version)
}

/** The version as crates.io compares it for duplicates: build metadata does not count. */
export function withoutBuild(version: string): string {
  const plus = version.indexOf('+')
  return plus === -1 ? version : version.slice(0, plus)
}

function compareIdentifiers(a: string, b: string): number {
  const an = /^\d+$/.test(a)
  const bn = /^\d+$/.test(b)
  if (an && bn) return Number(a) - Number(b)
  if (an) return -1
  if (bn) return 1
  return a < b ? -1 : a > b ? 1 : 0
}

/** SemVer precedence; build metadata is ignored. Both versions must be valid. */
export function compareVersions(a: string, b: string): number {
  const [coreA = '', preA] = withoutBuild(a).split(/-(.*)/s)
  const [coreB = '', preB] = withoutBuild(b).split(/-(.*)/s)
  const numsA = coreA.split('.').map(Number)
  const numsB = coreB.split('.').map(Number)
  for (let i = 0; i < 3; i++) {
    const d = (numsA[i] ?? 0) - (numsB[i] ?? 0)
    if (d !== 0) return Math.sign(d)
  }
  if (!preA && !preB) return 0
  if (!preA) return 1
  if (!preB) return -1
  const idsA = preA.split('.')
  const idsB = preB.split('.')
  for (let i = 0; i < Math.max(idsA.length, idsB.length); i++) {
    const x = idsA[i]
    const y = idsB[i]
    if (x === undefined) return -1
    if (y === undefined) return 1
    const d = compareIdentifiers(x, y)
    if (d !== 0) return Math.sign(d)
  }
  return 0
}
