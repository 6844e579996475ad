import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { parse } from 'smol-toml'
import { copyCheckout } from '../checkout/copy.js'
import type { GitRunner } from '../checkout/git.js'
import { runCargo, type CargoRunner } from '../cargo/run.js'
import { UserError } from '../errors.js'
import { mapLimit } from '../util/concurrency.js'
import { cargoErrorLine } from './cargo-error.js'
import type { ContentDigest, Plan, PlannedCrate } from './types.js'

export interface DigestDeps {
  cargo?: CargoRunner
  git?: GitRunner
  env?: Record<string, string | undefined>
  /**
   * The run's state dir: its files are never part of a package, wherever it lies (a root
   * package's `cargo package --list` shows them when nothing ignores them).
   */
  stateDir?: string
}

/** One hashed line of a crate's digest. */
export interface DigestEntry {
  /** Path inside the `.crate`, exactly as cargo lists it. */
  path: string
  sha256: string
  /** cargo's tar mode: `755` for an executable file, else `644`. */
  mode?: '644' | '755'
  /** Where the file was read from (absolute); absent for entries no single file stands for. */
  source?: string
}

/** Stands for what a member manifest inherits from the root manifest; no packaged file has it. */
export const WORKSPACE_ENTRY = '<workspace>'
/** Stands for what steers dependency resolution: root `[patch]`/`[replace]`, config `[patch]`/`[source]`. */
export const RESOLUTION_ENTRY = '<resolution>'
/** Files cargo writes into a `.crate` itself; they have no source in the checkout. */
const GENERATED_FILES = new Set([
  '.cargo_vcs_info.json',
  'Cargo.toml',
  'Cargo.toml.orig',
  'Cargo.lock'
])

type Table = Record<string, unknown>

const DEPENDENCY_TABLES = [
  'dependencies',
  'dev-dependencies',
  'dev_dependencies',
  'build-dependencies',
  'build_dependencies'
]

/**
 * A digest of exactly what `cargo package` would put in each planned crate, in plan order.
 *
 * - The generated `Cargo.toml` is not hashed: the original manifest (`Cargo.toml.orig`) stands
 *   for it, plus a `<workspace>` entry holding the canonical JSON of the root manifest's values
 *   the crate inherits (`x.workspace = true` in `[package]`, dependency tables and `[lints]`). So
 *   editing an inherited value changes the digest of the crates inheriting it, and a comment in a
 *   virtual root manifest changes nothing.
 * - `Cargo.lock`, which cargo 1.95 packages with every crate, is the workspace lock file as it is
 *   on disk; with none, the lock cargo resolves now (resolveLock), which the copies cargo
 *   packages in then hold.
 * - A `<resolution>` entry holds what steers resolution besides the manifests (resolutionInputs).
 * - A readme or license file outside the crate folder is hashed from where it lives. Every other
 *   listed file must be readable: one that is not fails the digest rather than going unbound.
 * - An executable file's entry carries its mode, as cargo's tar header does.
 * - Files in the state dir are left out: they are never packaged (the copies cargo packages from
 *   do not hold them).
 *
 * The lists come from `cargo package --list --exclude-lockfile`: with an existing Cargo.lock, a
 * plain `--list` re-resolves the workspace (reaching the registry when the lock is stale) and
 * rewrites the lock file; with `--exclude-lockfile` it resolves nothing. One cargo lists every
 * planned crate (packagedFileLists); a crate whose list cannot be told apart is listed alone.
 */
export async function computeContentDigest(
  plan: Pick<Plan, 'packages' | 'workspaceRoot'>,
  deps: DigestDeps = {}
): Promise<ContentDigest> {
  const cargo = deps.cargo ?? runCargo
  const rootManifestPath = join(plan.workspaceRoot, 'Cargo.toml')
  const rootManifest = readToml(await readFile(rootManifestPath, 'utf8'), rootManifestPath)
  const workspace = asTable(rootManifest.workspace)
  const resolution = await resolutionInputs(rootManifest, plan.workspaceRoot, deps.env ?? {})
  const lockPath = join(plan.workspaceRoot, 'Cargo.lock')
  const present = await isFile(lockPath)
  const lockText = present
    ? await readFile(lockPath, 'utf8')
    : await resolveLock(plan.workspaceRoot, cargo, deps)
  const lock = sha256(lockText)
  const sources = await Promise.all(
    plan.packages.map(crate => crateSources(crate, plan.workspaceRoot, workspace))
  )
  const listed = await packagedFileLists(sources, plan.workspaceRoot, cargo, deps.env)
  const lists = await mapLimit(sources, 4, async (crate, i) => {
    const kept = (listed[i] as string[]).filter(
      path => !inStateDir(crate.crate, path, deps.stateDir)
    )
    const entries = await crateEntries(crate, kept, workspace)
    // A lock git ignores is still the one cargo packages: its source makes the copies hold it.
    entries.push({ path: 'Cargo.lock', sha256: lock, ...(present ? { source: lockPath } : {}) })
    if (resolution !== undefined) {
      entries.push({ path: RESOLUTION_ENTRY, sha256: sha256(canonicalJson(resolution)) })
    }
    return entries
  })
  const entries: Record<string, DigestEntry[]> = {}
  const perCrate: Record<string, string> = {}
  plan.packages.forEach((c, i) => {
    entries[c.name] = lists[i] as DigestEntry[]
    perCrate[c.name] = crateDigest(c, lists[i] as DigestEntry[])
  })
  const overall = plan.packages.map(c => `${c.name}\t${perCrate[c.name]}\n`).join('')
  return {
    digest: sha256(overall),
    perCrate,
    entries,
    lockFile: present,
    lockSha256: lock,
    ...(present ? {} : { resolvedLock: lockText })
  }
}

/**
 * The files one crate's digest is made of, as they are on disk (the lock and the resolution
 * entries aside): what a `.crate` of it must hold.
 */
export async function packagedEntries(
  crate: PlannedCrate,
  workspaceRoot: string,
  deps: DigestDeps = {}
): Promise<DigestEntry[]> {
  const rootManifestPath = join(workspaceRoot, 'Cargo.toml')
  const workspace = asTable(
    readToml(await readFile(rootManifestPath, 'utf8'), rootManifestPath).workspace
  )
  const listed = await packagedFileList(crate, workspaceRoot, deps.cargo ?? runCargo, deps.env)
  const kept = listed.filter(path => !inStateDir(crate, path, deps.stateDir))
  return crateEntries(await crateSources(crate, workspaceRoot, workspace), kept, workspace)
}

/**
 * The lock cargo would package for a workspace that commits none: resolved now, in a throwaway
 * copy (the checkout is never written). Packaging then uses exactly this lock (`--locked`), so a
 * release made upstream between the rehearsal and the publish changes the digest instead of
 * what ships.
 */
async function resolveLock(
  workspaceRoot: string,
  cargo: CargoRunner,
  deps: DigestDeps
): Promise<string> {
  const scratch = await mkdtemp(join(tmpdir(), 'shipper-lock-'))
  try {
    const copy = await copyCheckout(workspaceRoot, join(scratch, 'ws'), {
      ...(deps.stateDir !== undefined ? { stateDir: deps.stateDir } : {}),
      ...(deps.git ? { git: deps.git } : {})
    })
    const manifest = join(copy.workspaceRoot, 'Cargo.toml')
    const result = await cargo(['generate-lockfile', '--manifest-path', manifest], {
      cwd: copy.workspaceRoot,
      env: { ...deps.env, CARGO_TARGET_DIR: join(scratch, 'target') }
    })
    if (result.exitCode !== 0) {
      throw new UserError(
        `the workspace has no Cargo.lock and cargo could not resolve one: ${cargoErrorLine(result.stderr)}`,
        `commit a Cargo.lock (run \`cargo generate-lockfile\` in ${workspaceRoot}), or fix what cargo reports`,
        2
      )
    }
    return await readFile(join(copy.workspaceRoot, 'Cargo.lock'), 'utf8')
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

/**
 * sha256 over `name@version\n` then `path\tsha256\n` per entry (`path\tsha256\t755\n` for an
 * executable file), entries sorted by path.
 */
export function crateDigest(
  crate: Pick<PlannedCrate, 'name' | 'version'>,
  entries: DigestEntry[]
): string {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const lines = sorted
    .map(e => `${e.path}\t${e.sha256}${e.mode === '755' ? '\t755' : ''}\n`)
    .join('')
  return sha256(`${crate.name}@${crate.version}\n${lines}`)
}

/** Whether a path cargo lists for a crate lies in the state dir. */
function inStateDir(crate: PlannedCrate, listed: string, stateDir: string | undefined): boolean {
  if (stateDir === undefined) return false
  const rel = relative(resolve(stateDir), join(dirname(crate.manifestPath), listed))
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)
}

/**
 * What decides how dependencies resolve beyond the manifests: the root manifest's `[patch]` and
 * `[replace]`, and `[patch]`/`[source]` of the `.cargo/config.toml` files cargo reads from the
 * workspace root and every directory above it. They change the lock packaged with each crate.
 */
async function resolutionInputs(
  rootManifest: Table,
  workspaceRoot: string,
  env: Record<string, string | undefined>
): Promise<Table | undefined> {
  const cargoHome = resolve(env.CARGO_HOME ?? process.env.CARGO_HOME ?? join(homedir(), '.cargo'))
  const out: Table = {}
  if (rootManifest.patch !== undefined) out.patch = rootManifest.patch
  if (rootManifest.replace !== undefined) out.replace = rootManifest.replace
  const configs: Table[] = []
  for (let dir = resolve(workspaceRoot); ; dir = dirname(dir)) {
    // CARGO_HOME's config belongs to the machine, not the workspace: a rehearsal on a laptop and
    // a publish in CI would never agree on it.
    const names = join(dir, '.cargo') === cargoHome ? [] : ['config.toml', 'config']
    for (const name of names) {
      const path = join(dir, '.cargo', name)
      if (!(await isFile(path))) continue
      const config = readToml(await readFile(path, 'utf8'), path)
      const steering: Table = {}
      if (config.patch !== undefined) steering.patch = config.patch
      if (config.source !== undefined) steering.source = config.source
      if (Object.keys(steering).length > 0) {
        // Where above the workspace a checkout lies is no part of its content.
        const rel = relative(workspaceRoot, path).split(sep).join('/')
        configs.push({ file: rel.startsWith('..') ? '(above the workspace)' : rel, ...steering })
      }
    }
    if (dirname(dir) === dir) break
  }
  if (configs.length > 0) out.config = configs
  return Object.keys(out).length > 0 ? out : undefined
}

/**
 * The packaged file list of each crate, in the order given. One `cargo package --list` lists them
 * all: on a 2-core runner, a process per crate competes with the compile it runs beside. cargo
 * prints the lists one after another with nothing between them, in an order of its own (its
 * dependency order today; `--message-format json`, which names each list's package, is unstable
 * in cargo 1.95): splitFileLists cuts them apart and assignFileLists finds whose is whose from the
 * files on disk. Whatever that cannot settle is listed one crate at a time, which
 * is also where a failing cargo gets its per-crate error.
 */
async function packagedFileLists(
  crates: CrateSources[],
  workspaceRoot: string,
  cargo: CargoRunner,
  env: Record<string, string | undefined> | undefined
): Promise<string[][]> {
  const together = crates.length > 1 ? await listedTogether(crates, workspaceRoot, cargo, env) : []
  const lists = await mapLimit(
    crates,
    4,
    async ({ crate }, i) => together[i] ?? packagedFileList(crate, workspaceRoot, cargo, env)
  )
  return lists as string[][]
}

/**
 * The lists of one cargo run for all `crates`, each at its crate's index; a crate left out
 * (`undefined`) needs a run of its own, and an empty result means none of them can be trusted.
 */
async function listedTogether(
  crates: CrateSources[],
  workspaceRoot: string,
  cargo: CargoRunner,
  env: Record<string, string | undefined> | undefined
): Promise<(string[] | undefined)[]> {
  const args = packageListArgs(
    workspaceRoot,
    crates.map(({ crate }) => crate)
  )
  const result = await cargo(args, { cwd: workspaceRoot, env })
  if (result.exitCode !== 0) return []
  const lists = splitFileLists(listedPaths(result.stdout))
  if (lists === undefined) return []
  const owners = assignFileLists(crates, lists, couldList)
  return owners === undefined ? [] : owners.map(i => (i === undefined ? undefined : lists[i]))
}

function packageListArgs(workspaceRoot: string, crates: PlannedCrate[]): string[] {
  const args = ['package', '--list', '--allow-dirty', '--offline', '--exclude-lockfile']
  args.push('--manifest-path', join(workspaceRoot, 'Cargo.toml'))
  for (const crate of crates) args.push('-p', `${crate.name}@${crate.version}`)
  return args
}

async function packagedFileList(
  crate: PlannedCrate,
  workspaceRoot: string,
  cargo: CargoRunner,
  env: Record<string, string | undefined> | undefined
): Promise<string[]> {
  const result = await cargo(packageListArgs(workspaceRoot, [crate]), { cwd: workspaceRoot, env })
  if (result.exitCode !== 0) {
    throw new UserError(
      `cargo package --list failed for ${crate.name}: ${cargoErrorLine(result.stderr)}`,
      `run \`cargo package --list -p ${crate.name}\` in ${workspaceRoot} to see the full error`,
      2
    )
  }
  return listedPaths(result.stdout)
}

/** The paths `cargo package --list` prints, `/`-separated on every platform. */
function listedPaths(stdout: string): string[] {
  // A file name may end in a space: only the line terminator is stripped.
  const terminator = process.platform === 'win32' ? /\r?\n/ : /\n/
  return stdout
    .split(terminator)
    .filter(line => line !== '')
    .map(line => (process.platform === 'win32' ? line.replace(/\\/g, '/') : line))
}

/**
 * Cuts the output of `cargo package --list` for several packages into their lists. cargo sorts
 * each list as Rust paths (comparePackagePaths) and a path appears once in it, so within a list
 * every line is greater than the one before. Every list holds `Cargo.toml` and `Cargo.toml.orig`:
 * a list's first line is at most `Cargo.toml`, the previous list's last at least
 * `Cargo.toml.orig`, which is greater. So a new list starts exactly where a line is not greater
 * than the one before. `undefined` when a list lacks either manifest (cargo warns of a manifest
 * named other than `Cargo.toml`): the cut may then be wrong.
 */
export function splitFileLists(paths: readonly string[]): string[][] | undefined {
  const lists: string[][] = []
  let previous: string | undefined
  for (const path of paths) {
    if (previous === undefined || comparePackagePaths(previous, path) >= 0) lists.push([])
    ;(lists[lists.length - 1] as string[]).push(path)
    previous = path
  }
  const whole = lists.every(list => list.includes('Cargo.toml') && list.includes('Cargo.toml.orig'))
  return whole ? lists : undefined
}

/**
 * Rust's order of relative paths, which cargo sorts a package's files in: component by component,
 * each compared by its UTF-8 bytes. So `a/b` comes before `a.b` and `a-b`, which byte order puts
 * first, and a string comparison in JavaScript (UTF-16 code units) misplaces characters above
 * U+FFFF.
 */
export function comparePackagePaths(a: string, b: string): number {
  const left = a.split('/')
  const right = b.split('/')
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const order = Buffer.compare(
      Buffer.from(left[i] as string, 'utf8'),
      Buffer.from(right[i] as string, 'utf8')
    )
    if (order !== 0) return order
  }
  return left.length - right.length
}

/**
 * Which list belongs to which crate, without trusting the order cargo printed them in: the index
 * of each crate's list, or `undefined` for a crate it leaves open. `couldList` tells whether a
 * list could be a crate's; a crate's own list always could, as its files are on disk. Lists with
 * the same paths are interchangeable, so each distinct content has as many copies as cargo
 * printed it. Two rules settle crates until neither changes anything:
 * - a crate only one remaining content could be gets it; a content whose copies are all given is
 *   out of the running for the other crates (so a crate whose folder holds every file of another
 *   crate's list is left with its own once that crate took theirs);
 * - a content exactly as many open crates could be as it has copies left goes to those crates.
 * The whole answer is `undefined` when the lists cannot be the crates' own: not one per crate, a
 * crate no remaining content could be, or a content with more copies left than crates for them.
 */
export function assignFileLists<T>(
  crates: readonly T[],
  lists: readonly string[][],
  couldList: (crate: T, list: string[]) => boolean
): (number | undefined)[] | undefined {
  if (lists.length !== crates.length) return undefined
  const contents = new Map<string, { at: number; left: number }>()
  for (const [i, list] of lists.entries()) {
    const key = JSON.stringify(list)
    const content = contents.get(key)
    if (content) content.left++
    else contents.set(key, { at: i, left: 1 })
  }
  const all = [...contents.values()]
  const open = crates.map(
    crate => new Set(all.filter(k => couldList(crate, lists[k.at] as string[])))
  )
  const owners: (number | undefined)[] = crates.map(() => undefined)
  let changed = true
  while (changed) {
    changed = false
    for (const [c, could] of open.entries()) {
      if (owners[c] !== undefined) continue
      if (could.size === 0) return undefined
      if (could.size > 1) continue
      const content = [...could][0] as { at: number; left: number }
      owners[c] = content.at
      changed = true
      content.left--
      if (content.left > 0) continue
      for (const [other, rest] of open.entries()) {
        if (owners[other] === undefined) rest.delete(content)
      }
    }
    for (const content of all) {
      const could = open.filter((rest, c) => owners[c] === undefined && rest.has(content))
      if (could.length < content.left) return undefined
      if (could.length > content.left) continue
      for (const rest of could.filter(r => r.size > 1)) {
        rest.clear()
        rest.add(content)
        changed = true
      }
    }
  }
  return owners
}

/** Whether `list` could be what cargo lists for a crate: every file it names is the crate's. */
function couldList(crate: CrateSources, list: readonly string[]): boolean {
  return list.every(path => GENERATED_FILES.has(path) || crate.sourceOf(path) !== undefined)
}

/** A planned crate with what tells where each file cargo lists for it is read from. */
interface CrateSources {
  crate: PlannedCrate
  manifestBytes: Buffer
  manifest: Table
  /** The existing file a listed path stands for, if any. */
  sourceOf(path: string): string | undefined
}

async function crateSources(
  crate: PlannedCrate,
  workspaceRoot: string,
  workspace: Table
): Promise<CrateSources> {
  const crateDir = dirname(crate.manifestPath)
  const manifestBytes = await readFile(crate.manifestPath)
  const manifest = readToml(manifestBytes.toString('utf8'), crate.manifestPath)
  const outside = filesOutsideCrate(manifest, workspace, crateDir, workspaceRoot)
  const sourceOf = (path: string) =>
    [join(crateDir, path), outside.get(path)].find(
      (candidate): candidate is string => candidate !== undefined && existsSync(candidate)
    )
  return { crate, manifestBytes, manifest, sourceOf }
}

async function crateEntries(
  sources: CrateSources,
  listed: string[],
  workspace: Table
): Promise<DigestEntry[]> {
  const { crate, manifestBytes, manifest } = sources
  const entries: DigestEntry[] = []
  for (const path of listed) {
    if (path === 'Cargo.toml.orig') {
      entries.push({ path, sha256: sha256(manifestBytes), source: crate.manifestPath })
      continue
    }
    if (GENERATED_FILES.has(path)) continue
    const source = sources.sourceOf(path) ?? join(dirname(crate.manifestPath), path)
    entries.push(await fileEntry(crate, path, source))
  }
  const inherited = inheritedFromWorkspace(manifest, workspace)
  if (inherited !== undefined) {
    entries.push({ path: WORKSPACE_ENTRY, sha256: sha256(canonicalJson(inherited)) })
  }
  return entries
}

/**
 * A listed file that cannot be read fails the digest: skipping it would leave a packaged file
 * unbound.
 */
async function fileEntry(crate: PlannedCrate, path: string, source: string): Promise<DigestEntry> {
  try {
    const info = await stat(source)
    const bytes = await readFile(source)
    const mode = info.mode & 0o111 ? '755' : '644'
    return { path, sha256: sha256(bytes), ...(mode === '755' ? { mode } : {}), source }
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error)
    throw new UserError(
      `cannot read ${JSON.stringify(path)}, which cargo packages in ${crate.name} (${reason})`,
      `make the file readable, or exclude it from the package (\`exclude\` in ${crate.manifestPath})`,
      2
    )
  }
}

/** cargo packages a readme or license file from outside the crate under its file name. */
function filesOutsideCrate(
  manifest: Table,
  workspace: Table,
  crateDir: string,
  workspaceRoot: string
): Map<string, string> {
  const pkg = asTable(manifest.package)
  const workspacePkg = asTable(workspace.package)
  const out = new Map<string, string>()
  for (const key of ['readme', 'license-file']) {
    const own = pkg[key]
    const inherits = inheritsFromWorkspace(own)
    const value = inherits ? workspacePkg[key] : own
    if (typeof value === 'string') {
      out.set(basename(value), resolve(inherits ? workspaceRoot : crateDir, value))
    }
  }
  return out
}

function inheritedFromWorkspace(manifest: Table, workspace: Table): Table | undefined {
  const workspacePkg = asTable(workspace.package)
  const workspaceDeps = asTable(workspace.dependencies)
  const pkg: Table = {}
  for (const [key, value] of Object.entries(asTable(manifest.package))) {
    if (inheritsFromWorkspace(value)) pkg[key] = workspacePkg[key] ?? null
  }
  const platformTables = Object.values(asTable(manifest.target)).map(asTable)
  const dependencies: Table = {}
  for (const owner of [manifest, ...platformTables]) {
    for (const table of DEPENDENCY_TABLES) {
      for (const [key, value] of Object.entries(asTable(owner[table]))) {
        if (inheritsFromWorkspace(value)) dependencies[key] = workspaceDeps[key] ?? null
      }
    }
  }
  const inherited: Table = {}
  if (Object.keys(pkg).length > 0) inherited.package = pkg
  if (Object.keys(dependencies).length > 0) inherited.dependencies = dependencies
  if (inheritsFromWorkspace(manifest.lints)) inherited.lints = workspace.lints ?? null
  return Object.keys(inherited).length > 0 ? inherited : undefined
}

function inheritsFromWorkspace(value: unknown): boolean {
  return asTable(value).workspace === true
}

function asTable(value: unknown): Table {
  return value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof Date)
    ? (value as Table)
    : {}
}

/** JSON with object keys sorted at every depth, so TOML layout and comments do not matter. */
export function canonicalJson(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys)
    if (v === null || typeof v !== 'object' || v instanceof Date) return v
    const out: Table = {}
    for (const key of Object.keys(v).sort()) out[key] = sortKeys((v as Table)[key])
    return out
  }
  return JSON.stringify(sortKeys(value))
}

function readToml(text: string, path: string): Table {
  try {
    return parse(text) as Table
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
    throw new UserError(`${path} is not valid TOML: ${reason}`, 'fix the manifest', 2)
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}
