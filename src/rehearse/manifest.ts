import { posix } from 'node:path'
import type { TomlTable, TomlValue } from 'smol-toml'

/** What the rewrite of one manifest of the scratch copy needs to know. */
export interface ManifestRewriteContext {
  /** cargo name of the rehearsal registry. */
  registryName: string
  /** Name of the live target registry (`crates-io` by default), as written in `publish` lists. */
  liveRegistry: string
  /** Package names of the planned crates: only dependencies on these are pointed at the rehearsal. */
  planned: ReadonlySet<string>
  /**
   * Package names this crate dev-depends on through a cycle-closing edge the plan dropped. At
   * publish time that dev-dependency resolves from versions the live registry already has, so the
   * rehearsal leaves it exactly as written.
   */
  keepLiveDev: ReadonlySet<string>
  /** `[workspace.dependencies]` of the root manifest as the user wrote it, for inherited entries. */
  workspaceDependencies?: TomlTable
  /** This manifest's directory relative to the workspace root, posix style ('' for the root). */
  dirFromRoot: string
}

export interface ManifestRewrite {
  manifest: TomlTable
  /** One line per edit, e.g. `dependencies.a: registry = "rehearsal"`; empty = nothing to write. */
  changes: string[]
}

const DEPENDENCY_SECTIONS: readonly [string, 'normal' | 'dev' | 'build'][] = [
  ['dependencies', 'normal'],
  ['dev-dependencies', 'dev'],
  ['dev_dependencies', 'dev'],
  ['build-dependencies', 'build'],
  ['build_dependencies', 'build']
]

export function isTable(value: TomlValue | undefined): value is TomlTable {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
  )
}

/** Copies tables and arrays, sharing leaves: dates keep their class, which structuredClone loses. */
function cloneTable(table: TomlTable): TomlTable {
  const out: TomlTable = {}
  for (const [key, value] of Object.entries(table)) out[key] = cloneValue(value)
  return out
}

function cloneValue(value: TomlValue): TomlValue {
  if (Array.isArray(value)) return value.map(cloneValue)
  return isTable(value) ? cloneTable(value) : value
}

/**
 * Points every versioned path dependency on a planned crate at the rehearsal registry, and lets
 * `publish` lists that allow the live registry allow the rehearsal too; nothing else changes.
 *
 * - Path-only dependencies (no version) are left alone: cargo strips them from dev-dependencies
 *   and refuses them elsewhere, with or without a registry key.
 * - A dependency with `workspace = true` gets the key through `[workspace.dependencies]`, except a
 *   kept-live dev-dependency, which is written out in full as the workspace entry said it (its
 *   path rebased onto this crate's directory) because inheritance cannot drop a key.
 */
export function rewriteManifest(source: TomlTable, ctx: ManifestRewriteContext): ManifestRewrite {
  const manifest = cloneTable(source)
  const changes: string[] = []

  for (const [section, kind] of DEPENDENCY_SECTIONS) {
    rewriteDependencyTable(manifest[section], section, kind, ctx, changes)
  }
  const targets = manifest.target
  if (isTable(targets)) {
    for (const [cfg, targetTable] of Object.entries(targets)) {
      if (!isTable(targetTable)) continue
      for (const [section, kind] of DEPENDENCY_SECTIONS) {
        const where = `target.${JSON.stringify(cfg)}.${section}`
        rewriteDependencyTable(targetTable[section], where, kind, ctx, changes)
      }
    }
  }

  const workspace = manifest.workspace
  if (isTable(workspace)) {
    const deps = workspace.dependencies
    if (isTable(deps)) {
      for (const [key, entry] of Object.entries(deps)) {
        if (!isTable(entry) || !pointsAtPlannedCrate(key, entry, ctx)) continue
        setRegistry(entry, ctx.registryName)
        changes.push(`workspace.dependencies.${key}: registry = "${ctx.registryName}"`)
      }
    }
    const workspacePackage = workspace.package
    if (isTable(workspacePackage)) {
      allowRehearsal(workspacePackage, 'workspace.package.publish', ctx, changes)
    }
  }
  const pkg = manifest.package ?? manifest.project
  if (isTable(pkg)) allowRehearsal(pkg, 'package.publish', ctx, changes)

  return { manifest, changes }
}

function pointsAtPlannedCrate(key: string, entry: TomlTable, ctx: ManifestRewriteContext): boolean {
  const name = typeof entry.package === 'string' ? entry.package : key
  return typeof entry.path === 'string' && entry.version !== undefined && ctx.planned.has(name)
}

function setRegistry(entry: TomlTable, registryName: string): void {
  delete entry['registry-index']
  entry.registry = registryName
}

function rewriteDependencyTable(
  deps: TomlValue | undefined,
  where: string,
  kind: 'normal' | 'dev' | 'build',
  ctx: ManifestRewriteContext,
  changes: string[]
): void {
  if (!isTable(deps)) return
  for (const [key, entry] of Object.entries(deps)) {
    if (!isTable(entry)) continue
    if (entry.workspace === true) {
      const inherited = ctx.workspaceDependencies?.[key]
      if (kind !== 'dev' || !isTable(inherited)) continue
      const name = typeof inherited.package === 'string' ? inherited.package : key
      if (!ctx.keepLiveDev.has(name) || !pointsAtPlannedCrate(key, inherited, ctx)) continue
      deps[key] = expandInherited(inherited, entry, ctx.dirFromRoot)
      changes.push(
        `${where}.${key}: written out from [workspace.dependencies], kept on the live registry`
      )
      continue
    }
    if (!pointsAtPlannedCrate(key, entry, ctx)) continue
    const name = typeof entry.package === 'string' ? entry.package : key
    if (kind === 'dev' && ctx.keepLiveDev.has(name)) continue
    setRegistry(entry, ctx.registryName)
    changes.push(`${where}.${key}: registry = "${ctx.registryName}"`)
  }
}

/** The member's view of an inherited dependency, as cargo would compose it. */
function expandInherited(inherited: TomlTable, member: TomlTable, dirFromRoot: string): TomlTable {
  const out = cloneTable(inherited)
  const path = out.path
  if (typeof path === 'string' && !posix.isAbsolute(path) && !/^[A-Za-z]:[\\/]/.test(path)) {
    out.path = posix.relative(dirFromRoot || '.', posix.normalize(path)) || '.'
  }
  const features = [
    ...(Array.isArray(inherited.features) ? inherited.features : []),
    ...(Array.isArray(member.features) ? member.features : [])
  ]
  if (features.length > 0) out.features = [...new Set(features)]
  for (const key of ['optional', 'public', 'default-features', 'default_features']) {
    const value = member[key]
    if (value !== undefined) out[key] = value
  }
  return out
}

function allowRehearsal(
  table: TomlTable,
  where: string,
  ctx: ManifestRewriteContext,
  changes: string[]
): void {
  const publish = table.publish
  if (!Array.isArray(publish)) return
  if (!publish.includes(ctx.liveRegistry) || publish.includes(ctx.registryName)) return
  table.publish = [...publish, ctx.registryName]
  changes.push(`${where}: + "${ctx.registryName}"`)
}
