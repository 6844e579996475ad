import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { runGit, type GitRunner } from './git.js'

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
export async function listWorkspaceFiles(
  root: string,
  git: GitRunner = runGit
): Promise<WorkspaceFiles> {
  try {
    const stdout = await git(['ls-files', '-co', '--exclude-standard', '-z'], { cwd: root })
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

export interface CheckoutCopy {
  /** The copy's workspace root (below the copy's git root when the workspace is a subfolder). */
  workspaceRoot: string
  copied: number
  via: WorkspaceFiles['via']
}

export interface CopyRequest {
  /** Left out wherever it lies: the run writes its records there while cargo works. */
  stateDir?: string
  /**
   * Files cargo packages that a git listing leaves out (a git-ignored file a crate's `include`
   * names: with `include`, cargo walks the folder instead of asking git). Absolute paths.
   */
  alsoCopy?: readonly string[]
  /** The run context's git (the real one when not given). */
  git?: GitRunner
}

/**
 * A copy of the checkout that cargo packages exactly as it packages the checkout: the same files,
 * modes and, inside git, the same view of git. The copy is a git repository whose HEAD is the
 * checkout's commit (objects borrowed through `alternates`, nothing written to the checkout's
 * repository) and whose index is that commit's tree, so cargo lists tracked plus untracked,
 * not-ignored files as in the checkout, sees the same dirty files, and records the same commit
 * and `path_in_vcs` in `.cargo_vcs_info.json`. The state dir is never copied.
 */
export async function copyCheckout(
  root: string,
  dest: string,
  request: CopyRequest = {}
): Promise<CheckoutCopy> {
  const runner = request.git ?? runGit
  const listed = await listWorkspaceFiles(root, runner)
  const outsideState = (rel: string) => !isInside(request.stateDir, join(root, rel))
  const files = new Set(listed.files.filter(outsideState))
  for (const path of request.alsoCopy ?? []) {
    const rel = relative(root, path)
    if (rel && !rel.startsWith('..') && !isAbsolute(rel) && outsideState(rel)) {
      files.add(rel.split(sep).join('/'))
    }
  }
  if (listed.via === 'walk') {
    return { workspaceRoot: dest, copied: copyWorkspace(root, dest, [...files]), via: 'walk' }
  }
  // GIT_DIR and friends (set inside git hooks) would point every command at the checkout's repo.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^GIT_(DIR|WORK_TREE|INDEX_FILE|COMMON_DIR)$/.test(k)
    )
  )
  const git = (cwd: string, ...args: string[]) =>
    runner(args, { cwd, env }).then(stdout => stdout.trim())
  const top = await git(root, 'rev-parse', '--show-toplevel')
  const prefix = relative(top, root)
  const workspaceRoot = prefix ? join(dest, prefix) : dest
  const copied = copyWorkspace(root, workspaceRoot, [...files]) + copyRepoConfigs(top, prefix, dest)
  const commonDir = resolve(root, await git(root, 'rev-parse', '--git-common-dir'))
  await git(dest, 'init', '-q')
  writeFileSync(
    join(dest, '.git', 'objects', 'info', 'alternates'),
    `${join(commonDir, 'objects')}\n`
  )
  for (const name of ['shallow', join('info', 'exclude')]) {
    if (existsSync(join(commonDir, name)))
      copyFileSync(join(commonDir, name), join(dest, '.git', name))
  }
  const head = await git(root, 'rev-parse', '--verify', '-q', 'HEAD').catch(() => '')
  // Without a commit yet, every file is untracked in both, which cargo lists alike.
  if (head) {
    await git(dest, 'update-ref', 'HEAD', head)
    await git(dest, 'read-tree', 'HEAD')
  }
  return { workspaceRoot, copied, via: 'git' }
}

/**
 * cargo reads `.cargo/config.toml` from every folder above the workspace too: those between the
 * repository's root and the workspace (a workspace in a subfolder of a monorepo) belong to the
 * checkout, so the copy holds them at the same place.
 */
function copyRepoConfigs(top: string, prefix: string, dest: string): number {
  let copied = 0
  const parts = prefix ? prefix.split(sep) : []
  for (let depth = 0; depth < parts.length; depth++) {
    const rel = join(...parts.slice(0, depth), '.cargo')
    for (const name of ['config.toml', 'config']) {
      const from = join(top, rel, name)
      if (!existsSync(from) || !lstatSync(from).isFile()) continue
      mkdirSync(join(dest, rel), { recursive: true })
      copyFileSync(from, join(dest, rel, name))
      copied++
    }
  }
  return copied
}

function isInside(dir: string | undefined, path: string): boolean {
  if (dir === undefined) return false
  const rel = relative(resolve(dir), path)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}
