import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parse } from 'smol-toml'
import { UserError } from '../../src/errors.js'
import type { Plan } from '../../src/plan/types.js'
import {
  copyWorkspace,
  listWorkspaceFiles,
  manifestFromRoot,
  rewriteScratchManifests
} from '../../src/rehearse/scratch.js'

let dir: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sr-scratch-'))
})

afterEach(() => rmSync(dir, { recursive: true, force: true }))

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
}

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd,
    stdio: 'ignore'
  })
}

describe('listWorkspaceFiles', () => {
  it('outside git, lists everything but .git and cargo target dirs', async () => {
    write(dir, {
      'Cargo.toml': '',
      'a/src/lib.rs': '',
      'a/src/target/mod.rs': 'a module named target is source',
      'target/debug/x': '',
      'a/target/CACHEDIR.TAG': 'Signature: 8a477f597d28d172789f06886806bc55',
      'a/target/debug/y': '',
      '.git/config': '',
      '.git-not-really/file': ''
    })
    const listed = await listWorkspaceFiles(dir)
    expect(listed.via).toBe('walk')
    expect(listed.files.sort()).toEqual([
      '.git-not-really/file',
      'Cargo.toml',
      'a/src/lib.rs',
      'a/src/target/mod.rs'
    ])
  })

  it('inside git, lists tracked and untracked-but-not-ignored files, below the workspace root only', async () => {
    const repo = join(dir, 'repo')
    const root = join(repo, 'rust')
    write(repo, {
      '.gitignore': 'target/\n*.log\n',
      'README.md': 'outside the workspace root',
      'rust/Cargo.toml': '',
      'rust/a/src/lib.rs': '',
      'rust/a/notes.log': 'ignored',
      'rust/target/debug/x': ''
    })
    git(repo, 'init', '-q')
    git(repo, 'add', '.')
    git(repo, 'commit', '-q', '-m', 'init')
    write(repo, { 'rust/a/src/new.rs': 'untracked, not ignored' })

    const listed = await listWorkspaceFiles(root)

    expect(listed.via).toBe('git')
    expect(listed.files.sort()).toEqual(['Cargo.toml', 'a/src/lib.rs', 'a/src/new.rs'])
  })

  it('walks a workspace that git ignores altogether', async () => {
    const repo = join(dir, 'repo')
    write(repo, {
      '.gitignore': 'generated/\n',
      'generated/ws/Cargo.toml': '',
      'generated/ws/src/lib.rs': ''
    })
    git(repo, 'init', '-q')

    const listed = await listWorkspaceFiles(join(repo, 'generated', 'ws'))

    expect(listed).toEqual({
      files: expect.arrayContaining(['Cargo.toml', 'src/lib.rs']),
      via: 'walk'
    })
  })
})

describe('copyWorkspace', () => {
  it('copies the listed files keeping the layout, keeps symlinks as links, and skips files deleted since', () => {
    const src = join(dir, 'src')
    const dest = join(dir, 'dest')
    write(src, { 'Cargo.toml': 'root', 'a/src/lib.rs': 'lib', 'LICENSE-MIT': 'mit' })
    symlinkSync('../LICENSE-MIT', join(src, 'a', 'LICENSE'))

    const copied = copyWorkspace(src, dest, ['Cargo.toml', 'a/src/lib.rs', 'a/LICENSE', 'gone.rs'])

    expect(copied).toBe(3)
    expect(readFileSync(join(dest, 'a/src/lib.rs'), 'utf8')).toBe('lib')
    expect(readlinkSync(join(dest, 'a/LICENSE'))).toBe('../LICENSE-MIT')
    expect(existsSync(join(dest, 'gone.rs'))).toBe(false)
  })
})

describe('manifestFromRoot', () => {
  it('maps a member manifest to its path below the workspace root', () => {
    expect(manifestFromRoot('/ws', '/ws/crates/a/Cargo.toml')).toBe('crates/a/Cargo.toml')
    expect(manifestFromRoot('/ws', '/ws/Cargo.toml')).toBe('Cargo.toml')
  })

  it('refuses a member outside the workspace root, which the copy would not contain', () => {
    expect(() => manifestFromRoot('/ws', '/elsewhere/a/Cargo.toml')).toThrow(UserError)
  })
})

describe('rewriteScratchManifests', () => {
  const plan = (root: string): Plan => ({
    planId: '0'.repeat(64),
    registry: 'crates-io',
    apiBase: 'https://crates.io',
    workspaceRoot: root,
    shipperOrder: ['a', 'b'],
    devOnlySelection: [],
    packages: [
      {
        name: 'a',
        version: '0.1.0',
        level: 0,
        manifestPath: join(root, 'a/Cargo.toml'),
        dependencies: [],
        bins: [],
        hasLib: true
      },
      {
        name: 'b',
        version: '0.1.0',
        level: 1,
        manifestPath: join(root, 'b/Cargo.toml'),
        dependencies: ['a'],
        bins: [],
        hasLib: true
      }
    ],
    levels: [['a'], ['b']],
    skipped: [],
    droppedDevEdges: [{ from: 'a', to: 'b', req: '^0.1' }]
  })

  it('rewrites the root and the planned manifests of the copy, and only those that change', () => {
    const original = join(dir, 'original')
    const copy = join(dir, 'copy')
    const files = {
      'Cargo.toml': '[workspace]\nmembers = ["a", "b", "tools"]\n',
      'a/Cargo.toml':
        '[package]\nname = "a"\n\n[dev-dependencies]\nb = { path = "../b", version = "0.1" }\n',
      'b/Cargo.toml':
        '# a comment\n[package]\nname = "b"\n\n[dependencies]\na = { path = "../a", version = "0.1" }\n',
      'tools/Cargo.toml':
        '[package]\nname = "tools"\n\n[dependencies]\na = { path = "../a", version = "0.1" }\n'
    }
    write(original, files)
    write(copy, files)

    const result = rewriteScratchManifests(plan(original), copy, 'rehearsal')

    expect(result.manifests).toEqual(['b/Cargo.toml'])
    expect(result.changes).toEqual(['b/Cargo.toml: dependencies.a: registry = "rehearsal"'])
    expect(parse(readFileSync(join(copy, 'b/Cargo.toml'), 'utf8'))).toEqual({
      package: { name: 'b' },
      dependencies: { a: { path: '../a', version: '0.1', registry: 'rehearsal' } }
    })
    // the cycle-closing dev-dependency of a, and the unplanned member, stay as written
    for (const path of ['Cargo.toml', 'a/Cargo.toml', 'tools/Cargo.toml']) {
      expect(readFileSync(join(copy, path), 'utf8')).toBe(files[path as keyof typeof files])
    }
    for (const [path, text] of Object.entries(files)) {
      expect(readFileSync(join(original, path), 'utf8')).toBe(text)
    }
  })
})

describe('listWorkspaceFiles with the run context’s git', () => {
  it('asks the git it is given, not the one on PATH', async () => {
    write(dir, { 'Cargo.toml': '', 'src/lib.rs': '', 'notes.txt': '' })
    const asked: string[][] = []
    const listed = await listWorkspaceFiles(dir, async args => {
      asked.push(args)
      return 'Cargo.toml\0src/lib.rs\0'
    })
    expect(asked).toEqual([['ls-files', '-co', '--exclude-standard', '-z']])
    expect(listed).toEqual({ files: ['Cargo.toml', 'src/lib.rs'], via: 'git' })
  })
})
