import { afterEach, describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

const SCRIPT = join(process.cwd(), 'scripts', 'check-imports.mjs')
const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A src/ tree of the given files (path → content) in a fresh temp dir. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'sr-imports-'))
  dirs.push(root)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}

function check(root?: string) {
  const run = spawnSync(process.execPath, root ? [SCRIPT, root] : [SCRIPT], { encoding: 'utf8' })
  return { status: run.status, out: run.stdout + run.stderr }
}

describe('scripts/check-imports.mjs', () => {
  it('passes on this repository', () => {
    expect(check()).toMatchObject({ status: 0 })
  })

  it('passes imports that go one way, including type-only ones and files at the top', () => {
    const root = tree({
      'errors.ts': 'export class E {}\n',
      'plan/a.ts': "import { E } from '../errors.js'\nexport const a = E\n",
      'publish/b.ts': "import type { P } from '../plan/a.js'\nimport { c } from './c.js'\n",
      'publish/c.ts': 'export const c = 1\n'
    })
    expect(check(root)).toMatchObject({ status: 0 })
  })

  it('fails on two folders importing each other, naming a file of each edge', () => {
    const root = tree({
      'publish/a.ts': "import { b } from '../rehearse/b.js'\n",
      'rehearse/b.ts': "import type { A } from '../publish/a.js'\n"
    })
    const result = check(root)
    expect(result.status).toBe(1)
    expect(result.out).toMatch(/import cycle: .*publish \(publish\/a\.ts\).*rehearse/)
  })

  it('fails on a longer loop', () => {
    const root = tree({
      'a/x.ts': "import '../b/y.js'\n",
      'b/y.ts': "import '../c/z.js'\n",
      'c/z.ts': "export { x } from '../a/x.js'\n"
    })
    expect(check(root).out).toMatch(/import cycle: a .* -> b .* -> c .* -> a/)
  })

  it('fails when an engine imports a front door, even without a cycle', () => {
    const root = tree({
      'github/artifact.ts': 'export const store = 1\n',
      'rehearse/index.ts': "import { store } from '../github/artifact.js'\n"
    })
    const result = check(root)
    expect(result.status).toBe(1)
    expect(result.out).toContain('rehearse/index.ts: the rehearse engine imports github/')
  })
})
