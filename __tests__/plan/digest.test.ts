import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { computeContentDigest } from '../../src/plan/digest.js'
import { computePlan } from '../../src/plan/index.js'
import type { ContentDigest, Plan } from '../../src/plan/types.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'
import { workspaceFixture } from './fixtures.js'

describe('computeContentDigest with real cargo', () => {
  let sandbox: CargoSandbox

  beforeAll(() => {
    sandbox = cargoSandbox()
  })

  afterAll(() => sandbox.cleanup())

  async function planOf(dir: string): Promise<Plan> {
    const inputs = {
      manifestPath: join(dir, 'Cargo.toml'),
      packages: [],
      targetRegistry: 'crates-io',
      targetRegistryUrl: ''
    }
    return computePlan(inputs, { env: sandbox.env })
  }

  function digestOf(plan: Plan): Promise<ContentDigest> {
    return computeContentDigest(plan, { env: sandbox.env })
  }

  function edit(path: string, change: (text: string) => string): void {
    const before = readFileSync(path, 'utf8')
    const after = change(before)
    expect(after).not.toBe(before)
    writeFileSync(path, after)
  }

  function changedCrates(before: ContentDigest, after: ContentDigest): string[] {
    return Object.keys(before.perCrate).filter(
      name => before.perCrate[name] !== after.perCrate[name]
    )
  }

  describe('a layered workspace', () => {
    let ws: string
    let plan: Plan
    let original: ContentDigest

    beforeEach(async () => {
      ws = sandbox.copyFixture(workspaceFixture('layered'))
      plan = await planOf(ws)
      original = await digestOf(plan)
    })

    it('is stable across runs and hashes every planned crate', async () => {
      const again = await digestOf(plan)
      expect(again).toEqual(original)
      expect(original.digest).toMatch(/^[0-9a-f]{64}$/)
      expect(Object.keys(original.perCrate)).toEqual([
        'layered-core',
        'layered-util',
        'layered-cli'
      ])
      expect(new Set(Object.values(original.perCrate)).size).toBe(3)
    })

    it('hashes the inherited workspace values and an outside readme as computed by hand', () => {
      // ws=$(printf '%s' '{"package":{"description":"layered fixture workspace","edition":"2021",
      //   "license":"MIT","readme":"README.md","repository":"https://example.invalid/layered",
      //   "version":"0.3.0"}}' | sha256sum)   (one line, no spaces)
      // printf 'layered-core@0.3.0\n<workspace>\t%s\nCargo.lock\t%s\nCargo.toml.orig\t%s\nREADME.md\t%s\nsrc/lib.rs\t%s\n' \
      //   $ws $(h <the lock cargo resolves>) $(h crates/core/Cargo.toml) $(h README.md) $(h crates/core/src/lib.rs) | sha256sum
      const h = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')
      const file = (path: string) => h(readFileSync(join(ws, path)))
      const inherited =
        '{"package":{"description":"layered fixture workspace","edition":"2021","license":"MIT","readme":"README.md","repository":"https://example.invalid/layered","version":"0.3.0"}}'
      expect(original.resolvedLock).toContain('name = "layered-core"')
      const lines = [
        `<workspace>\t${h(inherited)}`,
        `Cargo.lock\t${h(original.resolvedLock as string)}`,
        `Cargo.toml.orig\t${file('crates/core/Cargo.toml')}`,
        `README.md\t${file('README.md')}`,
        `src/lib.rs\t${file('crates/core/src/lib.rs')}`
      ]
      expect(original.perCrate['layered-core']).toBe(
        h(`layered-core@0.3.0\n${lines.map(l => `${l}\n`).join('')}`)
      )
    })

    it('creates no lock file, so a later run sees the same tree', () => {
      expect(existsSync(join(ws, 'Cargo.lock'))).toBe(false)
    })

    it('changes with a one-byte edit of a packaged source, for that crate only', async () => {
      const lib = join(ws, 'crates/core/src/lib.rs')
      edit(lib, text => text.replace('42', '43'))
      const edited = await digestOf(plan)
      expect(edited.digest).not.toBe(original.digest)
      expect(changedCrates(original, edited)).toEqual(['layered-core'])

      edit(lib, text => text.replace('43', '42'))
      expect(await digestOf(plan)).toEqual(original)
    })

    it('changes when a new file would be packaged', async () => {
      writeFileSync(join(ws, 'crates/util/src/extra.rs'), 'pub const EXTRA: u8 = 1;\n')
      expect(changedCrates(original, await digestOf(plan))).toEqual(['layered-util'])
    })

    it('ignores a file the manifest excludes from the package', async () => {
      edit(join(ws, 'crates/core/notes.txt'), text => `${text}more notes\n`)
      expect(await digestOf(plan)).toEqual(original)
    })

    it('ignores build output in target folders', async () => {
      for (const dir of ['target/debug', 'crates/core/target/debug']) {
        mkdirSync(join(ws, dir), { recursive: true })
        writeFileSync(join(ws, dir, 'junk'), 'build output')
      }
      expect(await digestOf(plan)).toEqual(original)
    })

    it('changes for the crates inheriting an edited workspace.package field', async () => {
      edit(join(ws, 'Cargo.toml'), text =>
        text.replace('"layered fixture workspace"', '"layered fixture workspace, edited"')
      )
      // util and cli carry their own description.
      expect(changedCrates(original, await digestOf(plan))).toEqual(['layered-core'])
    })

    it('changes for the crates inheriting an edited workspace dependency', async () => {
      edit(join(ws, 'Cargo.toml'), text =>
        text.replace(
          'layered-core = { path = "crates/core", version = "0.3.0" }',
          'layered-core = { path = "crates/core", version = "0.3" }'
        )
      )
      // Only cli inherits it (as a dev-dependency).
      expect(changedCrates(original, await digestOf(plan))).toEqual(['layered-cli'])
    })

    it('ignores comments and layout of the root manifest', async () => {
      edit(join(ws, 'Cargo.toml'), text =>
        text
          .replace('[workspace.package]', '# edited comment\n[workspace.package]')
          .replace('edition = "2021"', 'edition   =   "2021"   # same value')
      )
      expect(await digestOf(plan)).toEqual(original)
    })

    it('hashes a readme that lives outside the crate folder', async () => {
      edit(join(ws, 'README.md'), text => `${text}One more line.\n`)
      expect(changedCrates(original, await digestOf(plan))).toEqual(['layered-core'])
    })

    it('changes with an edit of the original manifest of a crate', async () => {
      edit(join(ws, 'crates/cli/Cargo.toml'), text => `${text}\n# a packaged comment\n`)
      expect(changedCrates(original, await digestOf(plan))).toEqual(['layered-cli'])
    })

    it('is the same in a git checkout, where cargo adds its vcs info file', async () => {
      const git = (...args: string[]) =>
        execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
          cwd: ws,
          stdio: 'pipe'
        })
      git('init', '-q')
      git('add', '-A')
      git('commit', '-q', '-m', 'fixture')
      expect(await digestOf(plan)).toEqual(original)
    })

    it('binds the lock cargo resolves without a Cargo.lock, and fails naming the fix when none resolves', async () => {
      edit(join(ws, 'crates/util/Cargo.toml'), text =>
        text.replace('[dependencies]', '[dependencies]\nnot-in-the-stand-in = "1"')
      )
      await expect(digestOf(plan)).rejects.toThrow(
        /has no Cargo\.lock and cargo could not resolve one: no matching package named `not-in-the-stand-in`/
      )
      expect(existsSync(join(ws, 'Cargo.lock'))).toBe(false)
    })
  })

  describe('a single package with a committed lock file', () => {
    let ws: string
    let plan: Plan

    beforeEach(async () => {
      ws = sandbox.copyFixture(workspaceFixture('single'))
      plan = await planOf(ws)
    })

    it('matches a digest computed by hand from the packaged files', async () => {
      // h() { sha256sum "$1" | cut -d' ' -f1; }
      // printf 'solo@1.2.3\nCargo.lock\t%s\nCargo.toml.orig\t%s\nsrc/lib.rs\t%s\nsrc/main.rs\t%s\n' \
      //   $(h Cargo.lock) $(h Cargo.toml) $(h src/lib.rs) $(h src/main.rs) | sha256sum
      // then printf 'solo\t<that>\n' | sha256sum; lockSha256 is h Cargo.lock
      expect(await digestOf(plan)).toMatchObject({
        digest: '2871ec7dd00ba34ad04defdc4440652c8f5789a083718a0066210e3cc5add34d',
        perCrate: { solo: '53c67d08796baf02706a12fd4f5e73fe5f1b93746a0b69c51107076bb011b257' },
        lockSha256: '92636a3a188fb873f693e0649bb7975cc7126d588682b9d601409f5c5dc343be'
      })
    })

    it('changes when the packaged lock file changes, and records the lock apart', async () => {
      const before = await digestOf(plan)
      edit(join(ws, 'Cargo.lock'), text => `${text}\n`)
      const after = await digestOf(plan)
      expect(after.digest).not.toBe(before.digest)
      expect(after.lockSha256).not.toBe(before.lockSha256)
    })

    it('leaves a stale lock file alone and resolves nothing', async () => {
      const lock = readFileSync(join(ws, 'Cargo.lock'), 'utf8')
      edit(join(ws, 'Cargo.toml'), text => `${text}\n[dependencies]\nnot-in-the-stand-in = "1"\n`)
      await digestOf(plan)
      expect(readFileSync(join(ws, 'Cargo.lock'), 'utf8')).toBe(lock)
    })
  })
})
