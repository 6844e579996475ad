/**
 * What the live registry will refuse in the planned crates' manifests, found from `cargo metadata`
 * before anything is packaged or uploaded, whatever registry the rehearsal runs against (kellnr
 * checks none of crates.io's rules). Every problem of every crate, in plan order. Pure but for
 * the file system, which the caller passes in (`fs`).
 *
 * - crates.io target: crates.io's rule set (src/crates-io-rules.ts, the one the embedded
 *   registry's strict mode applies), plus readme / license-file paths that must exist.
 * - any other target: readme / license-file paths, and every versioned in-workspace dependency
 *   must name the target registry: without `registry = "<target>"` cargo publishes it as a
 *   crates.io dependency, and packaging the dependent then looks for the sibling on crates.io.
 */
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { cratesIoProblems, MAX_UPLOAD_BYTES } from '../crates-io-rules.js'
import type { CargoMetadata, MetadataPackage } from '../plan/metadata.js'
import type { PlannedCrate } from '../plan/types.js'

export interface ManifestProblem {
  crate: string
  version: string
  /** The crate's Cargo.toml, for annotations. */
  manifestPath?: string
  /** The Cargo.toml key at fault. */
  field: string
  message: string
  fix: string
}

/** What the checks read from disk. */
export interface ManifestFiles {
  exists(path: string): boolean
  /** True when `key` in `[table]` of the manifest is `{ workspace = true }`. */
  inherited(manifestPath: string, table: string, key: string): boolean
}

export interface PreflightTarget {
  name: string
  isCratesIo: boolean
  /** The target's `sparse+` index URL, as cargo metadata reports a dependency's `registry`. */
  indexUrl: string
}

function sameIndex(a: string, b: string): boolean {
  const norm = (u: string) => u.replace(/\/+$/, '').toLowerCase()
  return norm(a) === norm(b)
}

function manifestOf(pkg: MetadataPackage, workspaceRoot: string): string {
  return relative(workspaceRoot, pkg.manifest_path) || pkg.manifest_path
}

/** Every problem the target would refuse, for every planned crate. */
export function manifestProblems(
  metadata: CargoMetadata,
  planned: readonly Pick<PlannedCrate, 'name' | 'version'>[],
  target: PreflightTarget,
  fs: ManifestFiles
): ManifestProblem[] {
  const byName = new Map(metadata.packages.map(p => [p.name, p]))
  const members = new Set(
    metadata.packages
      .filter(p => metadata.workspace_members.includes(p.id))
      .map(p => resolve(dirname(p.manifest_path)))
  )
  const problems: ManifestProblem[] = []
  for (const crate of planned) {
    const pkg = byName.get(crate.name)
    if (!pkg) continue
    const add = (field: string, message: string, fix: string) =>
      problems.push({
        crate: crate.name,
        version: crate.version,
        manifestPath: pkg.manifest_path,
        field,
        message,
        fix
      })
    const manifest = manifestOf(pkg, metadata.workspace_root)

    if (target.isCratesIo) {
      for (const p of cratesIoProblems({
        name: pkg.name,
        description: pkg.description,
        license: pkg.license,
        licenseFile: pkg.license_file,
        keywords: pkg.keywords ?? [],
        categories: pkg.categories ?? []
      })) {
        add(p.field, p.message, `${p.fix} in ${manifest}`)
      }
    }
    for (const [key, value] of [
      ['readme', pkg.readme],
      ['license-file', pkg.license_file]
    ] as const) {
      if (!value) continue
      const path = isAbsolute(value) ? value : join(dirname(pkg.manifest_path), value)
      if (!fs.exists(path)) {
        add(
          `package.${key}`,
          `${key} \`${value}\` does not exist`,
          `create ${relative(metadata.workspace_root, path)} or correct \`${key}\` in ${manifest}`
        )
      }
    }
    if (!target.isCratesIo) {
      for (const dep of pkg.dependencies) {
        // A dev-dependency without a version is stripped by cargo; it never reaches a registry.
        if (!dep.path || dep.req === '*' || !members.has(resolve(dep.path))) continue
        if (dep.registry && sameIndex(dep.registry, target.indexUrl)) continue
        const key = dep.rename ?? dep.name
        const table =
          dep.kind === 'dev'
            ? 'dev-dependencies'
            : dep.kind === 'build'
              ? 'build-dependencies'
              : 'dependencies'
        add(
          `${table}.${key}`,
          dep.registry
            ? `the in-workspace dependency ${dep.name} names another registry (${dep.registry}), not '${target.name}'`
            : `the in-workspace dependency ${dep.name} has no \`registry\` key: cargo would publish it as a crates.io dependency, and packaging ${crate.name} fails with "failed to get \`${dep.name}\` as a dependency of package \`${crate.name}\`"`,
          fs.inherited(pkg.manifest_path, table, key)
            ? `add \`registry = "${target.name}"\` to ${key} in [workspace.dependencies] of the workspace's Cargo.toml (${manifest} inherits it from there)`
            : `add \`registry = "${target.name}"\` to ${key} in [${table}] of ${manifest}`
        )
      }
    }
  }
  return problems
}

/** Packaged crates over crates.io's upload limit (kellnr's is 10 MB decimal, crates.io's 10 MiB). */
export function oversizeProblems(
  sizes: readonly { name: string; version: string; bytes: number }[]
): ManifestProblem[] {
  return sizes
    .filter(s => s.bytes > MAX_UPLOAD_BYTES)
    .map(s => ({
      crate: s.name,
      version: s.version,
      field: 'package.include',
      message: `the packaged crate is ${s.bytes} bytes; crates.io accepts at most ${MAX_UPLOAD_BYTES} (10 MiB)`,
      fix: `leave large files out with \`include\` / \`exclude\` in [package] (\`cargo package --list -p ${s.name}\` shows what is packaged)`
    }))
}

/** One line naming crate, field, problem and fix. */
export function describeProblem(p: ManifestProblem): string {
  return `${p.crate}@${p.version}: ${p.field}: ${p.message} — fix: ${p.fix}`
}

/**
 * cargo's error when a versioned in-workspace dependency without the target's `registry` key is
 * looked up on crates.io: permanent (no rerun helps), with the preflight's fix.
 */
export function privateDependencyFailure(
  stderr: string,
  planned: readonly Pick<PlannedCrate, 'name'>[],
  target: Pick<PreflightTarget, 'name' | 'isCratesIo'>
): { message: string; hint: string } | undefined {
  if (target.isCratesIo) return undefined
  const match = /failed to get `([^`]+)` as a dependency of package `([^`\s]+)/.exec(stderr)
  const dep = match?.[1]
  const pkg = match?.[2]
  if (!dep || !pkg || !planned.some(c => c.name === dep)) return undefined
  return {
    message: `cargo looked for the in-workspace crate ${dep} (a dependency of ${pkg}) outside '${target.name}': failed to get \`${dep}\` as a dependency of package \`${pkg}\``,
    hint: `add \`registry = "${target.name}"\` to the ${dep} dependency in ${pkg}'s Cargo.toml (or to its entry in [workspace.dependencies]); nothing was uploaded`
  }
}
