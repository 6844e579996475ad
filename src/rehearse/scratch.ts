import { execFile } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { dirname, isAbsolute, join, relative, sep } from 'node:path'
import { promisify } from 'node:util'
import { parse, stringify, type TomlTable } from 'smol-toml'
import { UserError } from '../errors.js'
import type { Plan } from '../plan/types.js'
import { isTable, rewriteManifest } from './manifest.js'

const run = promisify(execFile)

export interface WorkspaceFiles {
  /** Paths relative to the workspace root, `/`-separated. */
  files: string[]
  via: 'git' | 'walk'
}

/**
 * What a publish from this checkout would see: inside git, the tracked files plus the untracked
 * ones that are not ignored (cargo packages those too); outside git, or when git ignores the whole
 * workspace, everything except `.git` and cargo target dirs.
 */
export async function listWorkspaceFiles(root: string): Promise<WorkspaceFiles> {
  try {
    const { stdout } = await run('git', ['ls-files', '-co', '--exclude-standard', '-z'], {
      cwd: root,
      maxBuffer: 256 * 1024 * 1024
    })
    const files = stdout.split('\0').filter(f => f !== '')
    // A workspace git ignores (a generated or vendored tree) is still the one being released.
    if (files.includes('Cargo.toml')) return { files: [...new Set(files)], via: 'git' }
  } catch {
    // not inside a git work tree, or no git at all
  }
  return { files: walk(root, ''), via: 'walk' }
}

function walk(root: string, rel: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name
    if (entry.isDirectory()) {
      if (entry.name === '.git' || isTargetDir(root, child)) continue
      out.push(...walk(root, child))
    } else {
      out.push(child)
    }
  }
  return out
}

/** cargo tags its target dirs with CACHEDIR.TAG; a root `target/` is one even before a build. */
function isTargetDir(root: string, rel: string): boolean {
  if (rel === 'target') return true
  return rel.endsWith('/target') && existsSync(join(root, rel, 'CACHEDIR.TAG'))
}

/** Copies the listed files, keeping symlinks as links; submodule entries copy as whole trees. */
export function copyWorkspace(root: string, dest: string, files: readonly string[]): number {
  let copied = 0
  for (const file of files) {
    const from = join(root, file)
    let stat
    try {
      stat = lstatSync(from)
    } catch {
      continue // tracked but deleted in the working tree: a publish would not see it either
    }
    if (stat.isDirectory()) {
      copied += copyWorkspace(from, join(dest, file), walk(from, ''))
      continue
    }
    const to = join(dest, file)
    mkdirSync(dirname(to), { recursive: true })
    if (stat.isSymbolicLink()) symlinkSync(readlinkSync(from), to)
    else copyFileSync(from, to)
    copied++
  }
  return copied
}

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
