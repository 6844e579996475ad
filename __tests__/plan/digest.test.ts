import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCargo, type CargoRunner } from '../../src/cargo/run.js'
import {
  assignFileLists,
  comparePackagePaths,
  computeContentDigest,
  splitFileLists
} from '../../src/plan/digest.js'
import { computePlan } from '../../src/plan/index.js'
import type { ContentDigest, Plan } from '../../src/plan/types.js'
import { writeFiles, type RepoFile } from '../hardening/bound.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'
import { workspaceFixture } from './fixtures.js'

/** Makes `dir` a git checkout with everything in it committed. */
function commitAll(dir: string): void {
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
      cwd: dir,
      stdio: 'pipe'
    })
  git('init', '-q')
  git('add', '-A')
  git('commit', '-q', '-m', 'fixture')
}

/** A manifest of the mixed workspace's members, with `extra` lines in `[package]`. */
const member = (name: string, extra = '') =>
  `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\nlicense = "MIT"\ndescription = "${name}"\n${extra}`

/**
 * A workspace whose crates cargo lists in one run: a root package with an executable script,
 * two crates laid out alike, a crate excluding a file another one packages, a crate packaging
 * the root readme from outside its folder, and one whose file names sort differently in Rust's
 * path order than as strings.
 */
const MIXED: Record<string, RepoFile> = {
  'Cargo.toml': `${member('mix-root', 'readme = "README.md"\n')}
[workspace]
members = ["crates/twin-a", "crates/twin-b", "crates/notes", "crates/kept", "crates/docs", "crates/odd"]
resolver = "2"
`,
  'README.md': 'the mixed workspace\n',
  'src/lib.rs': 'pub const ROOT: u8 = 0;\n',
  'scripts/gen.sh': { text: '#!/bin/sh\necho generate\n', executable: true },
  'crates/twin-a/Cargo.toml': member('mix-twin-a'),
  'crates/twin-a/src/lib.rs': 'pub const A: u8 = 1;\n',
  'crates/twin-b/Cargo.toml': member('mix-twin-b'),
  'crates/twin-b/src/lib.rs': 'pub const B: u8 = 2;\n',
  'crates/notes/Cargo.toml': member('mix-notes', 'exclude = ["notes.txt"]\n'),
  'crates/notes/notes.txt': 'not packaged here\n',
  'crates/notes/src/lib.rs': 'pub const NOTES: u8 = 3;\n',
  'crates/kept/Cargo.toml': member('mix-kept'),
  'crates/kept/notes.txt': 'packaged here\n',
  'crates/kept/src/kept.rs': 'pub const KEPT: u8 = 4;\n',
  'crates/kept/src/lib.rs': 'pub mod kept;\n',
  'crates/docs/Cargo.toml': member('mix-docs', 'readme = "../../README.md"\n'),
  'crates/docs/src/lib.rs': 'pub const DOCS: u8 = 5;\n',
  'crates/odd/Cargo.toml': member('mix-odd'),
  'crates/odd/src/lib.rs': 'pub const ODD: u8 = 6;\n',
  ...Object.fromEntries(
    ['a.b', 'a/b', 'a b', 'a-b', 'B.txt', 'b.txt', 'é.rs', '\uff61.rs', '😀.rs', 'trail '].map(
      name => [`crates/odd/${name}`, `${name}\n`]
    )
  )
}

/** A runner that records the arguments of every cargo it runs. */
function counting(cargo: CargoRunner = runCargo): { cargo: CargoRunner; calls: string[][] } {
  const calls: string[][] = []
  return {
    calls,
    cargo: (args, options) => {
      calls.push(args)
      return cargo(args, options)
    }
  }
}

const packagesOf = (args: string[]) => args.filter((_, i) => args[i - 1] === '-p')

/** Fails every `cargo package --list` of several packages, so each crate is listed alone. */
const oneByOne: CargoRunner = (args, options) =>
  packagesOf(args).length > 1
    ? Promise.resolve({ exitCode: 101, stdout: '', stderr: 'error: listed one by one' })
    : runCargo(args, options)

/** Prints the lists of several packages in another order than cargo does. */
function reordered(order: (lists: string[][]) => string[][]): CargoRunner {
  return async (args, options) => {
    const result = await runCargo(args, options)
    const lists = splitFileLists(result.stdout.split('\n').filter(line => line !== ''))
    if (lists === undefined) throw new Error(`no lists to reorder in ${result.stdout}`)
    return {
      ...result,
      stdout: order(lists)
        .flatMap(list => list.map(l => `${l}\n`))
        .join('')
    }
  }
}

describe('comparePackagePaths', () => {
  it.each([
    ['a/b', 'a b'],
    ['a/b', 'a-b'],
    ['a/b', 'a.b'],
    ['src/a/b.rs', 'src/a.rs'],
    ['B.txt', 'Cargo.toml'],
    ['README.md', 'benches/b.rs'],
    ['Cargo.toml', 'Cargo.toml.orig'],
    ['src/lib.rs', 'trail '],
    ['z.rs', 'é.rs'],
    ['\uff61.rs', '😀.rs']
  ])('puts %j before %j, as Rust orders paths', (first, second) => {
    expect(comparePackagePaths(first, second)).toBeLessThan(0)
    expect(comparePackagePaths(second, first)).toBeGreaterThan(0)
    expect(comparePackagePaths(first, first)).toBe(0)
  })
})

describe('splitFileLists', () => {
  const minimal = ['Cargo.toml', 'Cargo.toml.orig', 'src/lib.rs']

  it('cuts where a line is not greater than the one before, in Rust path order', () => {
    // cargo 1.95's list of crates/odd of the mixed workspace, then two more lists.
    const odd = [
      'B.txt',
      'Cargo.toml',
      'Cargo.toml.orig',
      'a/b',
      'a b',
      'a-b',
      'a.b',
      'b.txt',
      'src/lib.rs',
      'trail ',
      'é.rs',
      '\uff61.rs',
      '😀.rs'
    ]
    const git = ['.cargo_vcs_info.json', ...minimal]
    expect(splitFileLists([...odd, ...git, ...minimal])).toEqual([odd, git, minimal])
  })

  it('keeps identical lists apart', () => {
    expect(splitFileLists([...minimal, ...minimal, ...minimal])).toEqual([
      minimal,
      minimal,
      minimal
    ])
  })

  it('refuses a cut that leaves a list without either manifest', () => {
    // A repeated line starts a list, which here lacks Cargo.toml.orig.
    expect(splitFileLists(['Cargo.toml', 'Cargo.toml', 'Cargo.toml.orig'])).toBeUndefined()
    expect(splitFileLists([...minimal, 'Cargo.toml.orig', 'src/lib.rs'])).toBeUndefined()
    expect(splitFileLists(['src/lib.rs'])).toBeUndefined()
  })
})

describe('assignFileLists', () => {
  /** Crates named by the files in their folder; a list could be theirs when it names only those. */
  const could = (files: string[], list: string[]) => list.every(p => files.includes(p))
  const lib = ['src/lib.rs']
  const libReadme = ['README.md', 'src/lib.rs']

  it('gives lists with the same paths to the crates laid out alike, whatever their order', () => {
    const crates = [lib, libReadme, lib]
    expect(assignFileLists(crates, [libReadme, lib, lib], could)).toEqual([1, 0, 1])
  })

  it('settles a crate whose folder holds the files of another crate once that one took its list', () => {
    // Both lists could be the second crate's; only the first could be the first crate's.
    expect(assignFileLists([lib, libReadme], [libReadme, lib], could)).toEqual([1, 0])
  })

  it('takes a list given out as often as printed from the crates still open', () => {
    // x went to the first crate, so the second has y; the last two could each have y or z.
    const crates = [['x'], ['x', 'y'], ['y', 'z'], ['y', 'z']]
    const lists = [['x'], ['y'], ['y'], ['z']]
    expect(assignFileLists(crates, lists, could)).toEqual([0, 1, undefined, undefined])
  })

  it('settles a crate that is the only one a list could be, though other lists could be it too', () => {
    const wide = ['a.rs', 'b.rs', 'c.rs', 'src/lib.rs']
    const lists = [
      ['a.rs', 'src/lib.rs'],
      ['b.rs', 'src/lib.rs'],
      ['c.rs', 'src/lib.rs']
    ]
    const crates = [['a.rs', 'b.rs', 'src/lib.rs'], ['a.rs', 'b.rs', 'src/lib.rs'], wide]
    expect(assignFileLists(crates, lists, could)).toEqual([undefined, undefined, 2])
  })

  it('leaves open the crates it cannot tell apart, and only those', () => {
    const both = ['notes.txt', 'src/lib.rs']
    const lists = [['src/lib.rs'], both, libReadme]
    expect(assignFileLists([both, both, libReadme], lists, could)).toEqual([
      undefined,
      undefined,
      2
    ])
  })

  it('refuses lists that cannot be the crates own', () => {
    expect(assignFileLists([lib, lib], [lib], could)).toBeUndefined()
    expect(assignFileLists([lib, lib], [lib, libReadme], could)).toBeUndefined()
    expect(assignFileLists([libReadme, libReadme], [lib, ['other.rs']], could)).toBeUndefined()
  })
})

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
      commitAll(ws)
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

  describe('a workspace cargo lists in one run', () => {
    let ws: string
    let plan: Plan
    let byCrate: ContentDigest

    /** A copy of the mixed workspace, with its lock file. */
    function mixedWorkspace(name: string): string {
      const dir = join(sandbox.root, name)
      writeFiles(dir, MIXED)
      execFileSync('cargo', ['generate-lockfile', '--offline'], {
        cwd: dir,
        env: { ...process.env, ...sandbox.env },
        stdio: 'pipe'
      })
      return dir
    }

    beforeAll(async () => {
      ws = mixedWorkspace('mixed')
      plan = await planOf(ws)
      byCrate = await computeContentDigest(plan, { env: sandbox.env, cargo: oneByOne })
    })

    it('is the fixture it means to be', () => {
      const paths = (name: string) => byCrate.entries?.[name]?.map(e => e.path)
      expect(plan.packages).toHaveLength(7)
      expect(byCrate.entries?.['mix-root']).toContainEqual(
        expect.objectContaining({ path: 'scripts/gen.sh', mode: '755' })
      )
      expect(paths('mix-twin-a')).toEqual(paths('mix-twin-b'))
      expect(paths('mix-notes')).toEqual(paths('mix-twin-a'))
      expect(paths('mix-kept')).toContain('notes.txt')
      expect(byCrate.entries?.['mix-docs']).toContainEqual(
        expect.objectContaining({ path: 'README.md', source: join(ws, 'README.md') })
      )
      expect(paths('mix-odd')).toEqual(expect.arrayContaining(['a/b', 'a.b', '😀.rs', 'trail ']))
    })

    it('runs one cargo in all and hashes what listing each crate alone does', async () => {
      const run = counting()
      const together = await computeContentDigest(plan, { env: sandbox.env, cargo: run.cargo })
      expect(run.calls).toHaveLength(1)
      expect(packagesOf(run.calls[0] as string[])).toHaveLength(7)
      expect(together).toEqual(byCrate)
    })

    it('does not trust the order cargo prints the lists in', async () => {
      for (const order of [
        (lists: string[][]) => lists.reverse(),
        (lists: string[][]) => [...lists.slice(1), ...lists.slice(0, 1)]
      ]) {
        const run = counting(reordered(order))
        expect(await computeContentDigest(plan, { env: sandbox.env, cargo: run.cargo })).toEqual(
          byCrate
        )
        expect(run.calls).toHaveLength(1)
      }
    })

    it('lists alone only the crates whose lists it cannot tell apart', async () => {
      // Without its own source file, kept's list could be notes's and the other way round.
      const dir = mixedWorkspace('mixed-ambiguous')
      rmSync(join(dir, 'crates/kept/src/kept.rs'))
      const ambiguous = await planOf(dir)
      const run = counting()
      const digest = await computeContentDigest(ambiguous, { env: sandbox.env, cargo: run.cargo })
      expect(run.calls).toHaveLength(3)
      expect(packagesOf(run.calls[0] as string[])).toHaveLength(7)
      expect(run.calls.slice(1).flatMap(packagesOf).sort()).toEqual([
        'mix-kept@0.1.0',
        'mix-notes@0.1.0'
      ])
      expect(digest).toEqual(
        await computeContentDigest(ambiguous, { env: sandbox.env, cargo: oneByOne })
      )
      expect(digest.entries?.['mix-kept']?.map(e => e.path)).toContain('notes.txt')
      expect(digest.entries?.['mix-notes']?.map(e => e.path)).not.toContain('notes.txt')
    })

    it('runs cargo once more without a lock file, to resolve one', async () => {
      const dir = join(sandbox.root, 'mixed-unlocked')
      cpSync(ws, dir, { recursive: true })
      rmSync(join(dir, 'Cargo.lock'))
      const run = counting()
      await computeContentDigest(await planOf(dir), { env: sandbox.env, cargo: run.cargo })
      expect(run.calls.map(args => args[0])).toEqual(['generate-lockfile', 'package'])
    })

    it('leaves out the state dir of a root package', async () => {
      // cargo lists the untracked files of a git checkout, dot folders too.
      const dir = join(sandbox.root, 'mixed-state')
      cpSync(ws, dir, { recursive: true })
      commitAll(dir)
      writeFiles(dir, { '.shipper/events.jsonl': '{}\n' })
      const stateful = await planOf(dir)
      const unfiltered = await computeContentDigest(stateful, { env: sandbox.env })
      expect(unfiltered.entries?.['mix-root']?.map(e => e.path)).toContain('.shipper/events.jsonl')
      const run = counting()
      const stateDir = join(dir, '.shipper')
      const digest = await computeContentDigest(stateful, {
        env: sandbox.env,
        stateDir,
        cargo: run.cargo
      })
      expect(run.calls).toHaveLength(1)
      expect(digest.perCrate).toEqual(byCrate.perCrate)
    })

    it('keeps the error of the crate cargo cannot list', async () => {
      const failing: CargoRunner = () =>
        Promise.resolve({ exitCode: 101, stdout: '', stderr: 'error: no listing today' })
      await expect(
        computeContentDigest(plan, { env: sandbox.env, cargo: failing })
      ).rejects.toThrow(/cargo package --list failed for mix-[a-z-]+: no listing today/)
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
