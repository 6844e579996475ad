import { readFileSync, writeFileSync } from 'node:fs'
import { isAbsolute, join, relative, sep } from 'node:path'
import { parse, stringify, type TomlTable } from 'smol-toml'
import { UserError } from '../errors.js'
import type { Plan } from '../plan/types.js'
import { isTable, rewriteManifest } from './manifest.js'

export { copyWorkspace, listWorkspaceFiles, type WorkspaceFiles } from '../checkout/copy.js'

export interface ScratchRewrite {
  /** Manifests written, relative to the copy's root. */
  manifests: string[]
  changes: string[]
}

/** Where a crate's manifest lives relative to the workspace root; it must be inside it. */
export function manifestFromRoot(workspaceRoot: string, manifestPath: string): string {
  const rel = relative(workspaceRoot, manifestPath)
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new UserError(
      `${manifestPath} is outside the workspace root ${workspaceRoot}`,
      'the rehearsal copies the workspace root; keep every member inside it',
      2
    )
  }
  return rel.split(sep).join('/')
}

/**
 * Rewrites the copy's root manifest and every planned crate's manifest (see rewriteManifest) and
 * writes back only those that changed. The copy is the only place this ever writes.
 */
export function rewriteScratchManifests(
  plan: Plan,
  copyRoot: string,
  registryName: string
): ScratchRewrite {
  const planned = new Set(plan.packages.map(p => p.name))
  const rootRel = 'Cargo.toml'
  const rootManifest = readToml(join(copyRoot, rootRel))
  const workspace = rootManifest.workspace
  const workspaceDependencies =
    isTable(workspace) && isTable(workspace.dependencies) ? workspace.dependencies : undefined

  const keepLiveFor = (name: string | undefined) =>
    new Set(plan.droppedDevEdges.filter(e => e.from === name).map(e => e.to))

  const byManifest = new Map<string, string | undefined>([[rootRel, undefined]])
  for (const crate of plan.packages) {
    byManifest.set(manifestFromRoot(plan.workspaceRoot, crate.manifestPath), crate.name)
  }

  const result: ScratchRewrite = { manifests: [], changes: [] }
  for (const [rel, crateName] of byManifest) {
    const path = join(copyRoot, rel)
    const source = rel === rootRel ? rootManifest : readToml(path)
    const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : ''
    const { manifest, changes } = rewriteManifest(source, {
      registryName,
      liveRegistry: plan.registry,
      planned,
      keepLiveDev: keepLiveFor(crateName),
      workspaceDependencies,
      dirFromRoot: dir
    })
    if (changes.length === 0) continue
    writeFileSync(path, stringify(manifest) + '\n')
    result.manifests.push(rel)
    result.changes.push(...changes.map(c => `${rel}: ${c}`))
  }
  return result
}

function readToml(path: string): TomlTable {
  try {
    return parse(readFileSync(path, 'utf8'))
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new UserError(`cannot read ${path} in the scratch copy: ${message}`, '', 1)
  }
}
