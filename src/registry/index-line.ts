/**
 * Turns cargo's publish metadata into the index line cargo reads back, the way crates.io does:
 * `version_req` becomes `req`; a renamed dependency is listed under its TOML key with `package` set
 * to the real name (cargo sends the real name as `name` and the key as `explicit_name_in_toml`);
 * features using `dep:` or `?/` move to `features2` and bump the entry to `v: 2` so older cargo
 * versions skip what they cannot parse.
 */
import type { IndexDep, IndexEntry } from '../sparse/client.js'
import type { PublishDep, PublishMetadata } from './publish-body.js'

export function indexDep(dep: PublishDep): IndexDep {
  const key = dep.explicit_name_in_toml
  const renamed = typeof key === 'string' && key !== '' && key !== dep.name
  return {
    name: renamed ? key : dep.name,
    req: dep.version_req,
    features: dep.features,
    optional: dep.optional,
    default_features: dep.default_features,
    target: dep.target ?? null,
    kind: dep.kind ?? 'normal',
    registry: dep.registry ?? null,
    ...(renamed ? { package: dep.name } : {})
  }
}

function usesNewFeatureSyntax(values: string[]): boolean {
  return values.some(v => v.startsWith('dep:') || v.includes('?/'))
}

export function splitFeatures(features: Record<string, string[]>): {
  features: Record<string, string[]>
  features2: Record<string, string[]>
} {
  const plain: Record<string, string[]> = {}
  const extended: Record<string, string[]> = {}
  for (const [name, values] of Object.entries(features)) {
    if (usesNewFeatureSyntax(values)) extended[name] = values
    else plain[name] = values
  }
  return { features: plain, features2: extended }
}

/** Index time as crates.io writes it: RFC 3339, UTC, whole seconds. */
export function pubtime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

export function buildIndexEntry(
  metadata: PublishMetadata,
  cksum: string,
  publishedAtMs: number
): IndexEntry {
  const { features, features2 } = splitFeatures(metadata.features)
  const hasFeatures2 = Object.keys(features2).length > 0
  return {
    name: metadata.name,
    vers: metadata.vers,
    deps: metadata.deps.map(indexDep),
    cksum,
    features,
    ...(hasFeatures2 ? { features2 } : {}),
    yanked: false,
    links: metadata.links ?? null,
    ...(metadata.rust_version ? { rust_version: metadata.rust_version } : {}),
    v: hasFeatures2 ? 2 : 1,
    pubtime: pubtime(publishedAtMs)
  }
}
