import { expect } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { crateFiles, type ArchiveFile } from '../../src/bind/archive.js'
import type { EmbeddedRegistry } from '../../src/registry/types.js'

/** A file of a test repository: text, or text with cargo's executable mode. */
export type RepoFile = string | { text: string; executable: true }

export function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    'git',
    ['-c', 'user.email=test@example.invalid', '-c', 'user.name=test', ...args],
    { cwd, encoding: 'utf8' }
  )
}

export function writeFiles(root: string, files: Record<string, RepoFile>): void {
  for (const [path, file] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), typeof file === 'string' ? file : file.text)
    if (typeof file !== 'string') chmodSync(join(root, path), 0o755)
  }
}

/** A git repository holding `files`, all committed. */
export function makeRepo(dir: string, files: Record<string, RepoFile>): string {
  mkdirSync(dir, { recursive: true })
  writeFiles(dir, files)
  git(dir, 'init', '-q', '-b', 'main')
  git(dir, 'add', '-A')
  git(dir, 'commit', '-qm', 'release')
  return dir
}

/** The files of a version as a registry serves its `.crate`. */
export async function servedFiles(
  registry: EmbeddedRegistry,
  name: string,
  version: string
): Promise<ArchiveFile[]> {
  const response = await fetch(`${registry.url}/api/v1/crates/dl/${name}/${version}/download`, {
    headers: { Authorization: registry.token }
  })
  expect(response.status).toBe(200)
  return crateFiles(Buffer.from(await response.arrayBuffer()))
}

/**
 * The files two `.crate`s must share byte for byte and mode for mode: all but what cargo writes
 * for the registry it packages for (Cargo.toml, Cargo.lock, .cargo_vcs_info.json) and the
 * original manifest, which the rehearsal copy rewrites to point at the rehearsal registry.
 */
export function sourceFiles(files: ArchiveFile[]): ArchiveFile[] {
  const generated = ['Cargo.toml', 'Cargo.toml.orig', 'Cargo.lock', '.cargo_vcs_info.json']
  return files.filter(f => !generated.includes(f.path)).sort((a, b) => (a.path < b.path ? -1 : 1))
}

export function paths(files: ArchiveFile[]): string[] {
  return files.map(f => f.path).sort()
}
