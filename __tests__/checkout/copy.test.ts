import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { copyCheckout } from '../../src/checkout/copy.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'
import { git, makeRepo, writeFiles } from '../hardening/bound.js'

/**
 * cargo must package the copy exactly as it packages the checkout: the same list (git's view,
 * dotfiles, ignored files) and the same dirty files, without the state dir.
 */
let sandbox: CargoSandbox

beforeAll(() => {
  sandbox = cargoSandbox('sr-bind-copy-')
})

afterAll(() => sandbox?.cleanup())

function cargo(cwd: string, ...args: string[]): { code: number; out: string } {
  try {
    const out = execFileSync('cargo', args, {
      cwd,
      env: { ...process.env, ...sandbox.env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe']
    })
    return { code: 0, out }
  } catch (error) {
    const e = error as { status: number; stderr: string }
    return { code: e.status, out: e.stderr.replace(/\/[^\s`]*\/(checkout|copy)\b/g, '<root>') }
  }
}

describe('copyCheckout', () => {
  it('gives cargo the list and the dirty files of a workspace in a subfolder of its repository, without the state dir', async () => {
    const repo = makeRepo(join(sandbox.root, 'checkout'), {
      'README.md': 'outside the workspace\n',
      '.cargo/config.toml': '[net]\nretry = 0\n',
      'rust/.gitignore': 'generated.txt\n',
      'rust/Cargo.toml':
        '[package]\nname = "subdir-root"\nversion = "0.1.0"\nedition = "2021"\n\n[workspace]\n',
      'rust/src/lib.rs': 'pub fn f() {}\n',
      'rust/.config/tool.toml': 'dot = true\n',
      'rust/tracked.txt': 'committed\n'
    })
    const ws = join(repo, 'rust')
    writeFiles(ws, {
      'generated.txt': 'ignored by git\n',
      'untracked.txt': 'new, not ignored\n',
      'tracked.txt': 'edited after the commit\n',
      '.shipper/events.jsonl': '{}\n'
    })
    mkdirSync(join(ws, 'target'), { recursive: true })
    writeFileSync(join(ws, 'target', 'junk'), 'build output')

    const copy = await copyCheckout(ws, join(sandbox.root, 'copy'), {
      stateDir: join(ws, '.shipper')
    })
    expect(copy.via).toBe('git')
    expect(copy.workspaceRoot).toBe(join(sandbox.root, 'copy', 'rust'))

    const list = (dir: string) =>
      cargo(dir, 'package', '--list', '--allow-dirty', '--offline', '--exclude-lockfile')
        .out.split('\n')
        .filter(Boolean)
    const inCheckout = list(ws)
    expect(inCheckout).toContain('.shipper/events.jsonl')
    expect(list(copy.workspaceRoot)).toEqual(inCheckout.filter(p => !p.startsWith('.shipper/')))

    // The same dirty files (the state dir aside), so a publish without allow-dirty is refused alike.
    const dirty = (dir: string) => cargo(dir, 'package', '--no-verify', '--offline')
    const checkoutDirty = dirty(ws)
    expect(checkoutDirty.code).not.toBe(0)
    const copyDirty = dirty(copy.workspaceRoot)
    expect(copyDirty.code).not.toBe(0)
    expect(copyDirty.out).toContain('tracked.txt')
    expect(copyDirty.out).toContain('untracked.txt')
    expect(copyDirty.out).not.toContain('.shipper')

    // cargo reads the repository's .cargo/config.toml above the workspace in the copy too.
    expect(readFileSync(join(sandbox.root, 'copy', '.cargo', 'config.toml'), 'utf8')).toBe(
      '[net]\nretry = 0\n'
    )
    expect(existsSync(join(sandbox.root, 'copy', 'README.md'))).toBe(false)

    // And the copy records the checkout's commit.
    expect(git(copy.workspaceRoot, 'rev-parse', 'HEAD')).toBe(git(ws, 'rev-parse', 'HEAD'))
  })
})
