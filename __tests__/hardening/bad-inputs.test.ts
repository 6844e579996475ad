import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { startRegistry } from '../../src/registry/index.js'
import type { EmbeddedRegistry } from '../../src/registry/types.js'
import { SECRET_INPUTS } from '../../src/options/secrets.js'
import {
  cliErrorLines,
  errorCommands,
  runAction,
  runCli,
  stackLines,
  type ProcessRun
} from '../helpers/action.js'
import { RehearsedFixture } from '../publish/helpers.js'

/**
 * The bad-input corpus, through both front doors as users meet them: `node dist/cli.js` and
 * `node dist/index.js` (the action bundle, inputs as INPUT_* variables). Every case must end with
 * the exit code docs/contract.md gives (1 failure or refusal, 2 bad usage or bad input), one line naming
 * the problem with its fix, no stack trace, and nothing uploaded to either registry.
 */

type Door = 'cli' | 'action'

interface BadInput {
  name: string
  mode: 'rehearse' | 'publish'
  /** Inputs by action name (kebab-case); the command line gets them as `--name value`. */
  inputs?: Record<string, string>
  /** Edits the workspace copy (its state dir holds a passing rehearsal of the plan). */
  prepare?: (ws: string) => void
  /** Extra environment for both doors (e.g. a PATH without cargo). */
  env?: () => Record<string, string>
  /** The command line's arguments, when they are not `<mode> --input value ...`. */
  cli?: () => string[]
  doors?: Door[]
  exit: 0 | 1 | 2
  /** What the error line must say. */
  problem: RegExp
  /** What its hint must say. */
  fix: RegExp
  /** A value that must not be printed back. */
  secret?: string
}

let fixture: RehearsedFixture
let rehearsal: EmbeddedRegistry
/** A port nothing listens on. */
let deadPort: number

beforeAll(async () => {
  fixture = await RehearsedFixture.create('sr-hard-bad-')
  rehearsal = await startRegistry()
  const dead = await startRegistry()
  deadPort = dead.port
  await dead.close()
}, 120_000)

afterAll(async () => {
  await rehearsal?.close()
  await fixture?.close()
})

/** Stored uploads of both registries; a case must not change them. */
function uploads(): Record<string, Record<string, number>> {
  return { live: fixture.live.faults.uploads(), rehearsal: rehearsal.faults.uploads() }
}

/** What every run gets unless a case overrides it: the live stand-in and a rehearsal registry. */
function baseInputs(mode: BadInput['mode']): Record<string, string> {
  const target = { 'target-registry': 'live', 'target-registry-url': fixture.live.url }
  return mode === 'publish'
    ? { ...target, token: fixture.live.token }
    : { ...target, 'registry-url': rehearsal.url, 'registry-token': rehearsal.token }
}

function edit(path: string, change: (text: string) => string): void {
  writeFileSync(path, change(readFileSync(path, 'utf8')))
}

function editReceipt(ws: string, change: (r: Record<string, unknown>) => void): void {
  const path = join(ws, '.shipper', 'rehearsal.json')
  const receipt = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
  change(receipt)
  writeFileSync(path, `${JSON.stringify(receipt, null, 2)}\n`)
}

const allUnpublishable = (ws: string) => {
  for (const member of ['core', 'util', 'app'])
    edit(join(ws, member, 'Cargo.toml'), t => t.replace('[package]', '[package]\npublish = false'))
}

/** PATH without any directory holding cargo; node itself is started by its absolute path. */
const pathWithoutCargo = () => ({
  PATH: (process.env.PATH ?? '')
    .split(delimiter)
    .filter(dir => dir && !existsSync(join(dir, 'cargo')))
    .join(delimiter)
})

const invalid = (name: string, value: string, mode: BadInput['mode'] = 'rehearse'): BadInput => ({
  name: `${name}: '${value}'`,
  mode,
  inputs: { [name]: value },
  exit: 2,
  problem: new RegExp(`input \`${name}\` has an invalid value`),
  fix: /allowed: /
})

const CASES: BadInput[] = [
  // Every input that can hold an invalid value.
  { ...invalid('mode', 'deploy'), cli: () => ['plan', '--mode', 'deploy'] },
  invalid('packages', 'shr core'),
  invalid('registry-url', 'ftp://example.com/index'),
  invalid('registry-url', 'not a url'),
  {
    ...invalid('registry-url', 'http://user:hunter2@127.0.0.1:9/'),
    problem: /`registry-url` has an invalid value '\(a URL with credentials\)'/,
    secret: 'hunter2'
  },
  invalid('registry-name', 're hearsal'),
  invalid('registry-wait', 'soon'),
  invalid('registry-wait', '0s'),
  invalid('smoke-install', 'not a crate!'),
  invalid('smoke-build', 'maybe'),
  invalid('skip-rehearsal', 'perhaps'),
  invalid('artifact-name', 'a/b'),
  invalid('retention-days', '0'),
  invalid('retention-days', '91'),
  invalid('rehearsal-run-id', 'latest', 'publish'),
  invalid('status-check', 'often'),
  invalid('target-registry', 'crates io'),
  invalid('target-registry-url', 'gopher://example.com/'),
  invalid('trusted-publishing', 'maybe', 'publish'),
  invalid('dry-run', 'nah', 'publish'),
  invalid('max-concurrency', 'lots'),
  invalid('max-concurrency', '0'),
  invalid('readiness-timeout', 'forever'),
  invalid('max-attempts', '0', 'publish'),
  invalid('bind', 'everything', 'publish'),
  invalid('cache', 'perhaps'),
  invalid('allow-dirty', 'yes please'),
  {
    name: 'registry-name: the live target’s name',
    mode: 'rehearse',
    inputs: { 'registry-name': 'live' },
    exit: 2,
    problem: /`registry-name` 'live' is the live target registry/,
    fix: /its own name/
  },
  {
    name: 'smoke-install: a crate without a binary',
    mode: 'rehearse',
    inputs: { 'smoke-install': 'shr-core' },
    exit: 2,
    problem: /smoke-install names 'shr-core', which has no binary target/,
    fix: /binary target/
  },
  // A state dir that cannot be a directory is bad input, not a crash.
  {
    name: 'state-dir: a file, not a directory',
    mode: 'rehearse',
    inputs: { 'state-dir': 'Cargo.toml' },
    exit: 2,
    problem: /state-dir/,
    fix: /director/
  },
  {
    name: 'target-registry-url with target-registry crates-io',
    mode: 'rehearse',
    inputs: { 'target-registry': 'crates-io' },
    exit: 2,
    problem: /`target-registry-url` is set but `target-registry` is crates-io/,
    fix: /own cargo name/
  },
  {
    name: 'config: a file that does not exist',
    mode: 'rehearse',
    inputs: { config: 'missing.toml' },
    exit: 2,
    problem: /config file .*missing\.toml cannot be read/,
    fix: /`config`/
  },

  // The manifest and the workspace.
  {
    name: 'manifest-path: missing',
    mode: 'rehearse',
    inputs: { 'manifest-path': 'nowhere/Cargo.toml' },
    exit: 2,
    problem: /manifest .*nowhere\/Cargo\.toml does not exist/,
    fix: /manifest-path/
  },
  {
    name: 'manifest-path: a directory',
    mode: 'rehearse',
    inputs: { 'manifest-path': 'core' },
    exit: 2,
    problem: /cargo metadata failed/,
    fix: /manifest-path/
  },
  {
    name: 'manifest: invalid TOML',
    mode: 'rehearse',
    prepare: ws => writeFileSync(join(ws, 'Cargo.toml'), '[workspace\nmembers = [\n'),
    exit: 2,
    problem: /cargo metadata failed/,
    fix: /manifest-path/
  },
  {
    name: 'manifest: neither a package nor a workspace',
    mode: 'rehearse',
    prepare: ws => writeFileSync(join(ws, 'Cargo.toml'), '[dependencies]\n'),
    exit: 2,
    problem: /cargo metadata failed/,
    fix: /manifest-path/
  },
  // An empty plan is bad input: it must neither "pass" a rehearsal nor "publish" nothing.
  {
    name: 'no publishable crate (rehearse)',
    mode: 'rehearse',
    prepare: allUnpublishable,
    exit: 2,
    problem: /no publishable crate/,
    fix: /publish/
  },
  {
    name: 'no publishable crate (publish)',
    mode: 'publish',
    prepare: allUnpublishable,
    inputs: { bind: 'plan' },
    exit: 2,
    problem: /no publishable crate/,
    fix: /publish/
  },
  {
    name: 'packages: an unknown package',
    mode: 'rehearse',
    inputs: { packages: 'shr-nope' },
    exit: 2,
    problem: /'shr-nope' is not a member of this workspace/,
    fix: /shr-app, shr-core, shr-util/
  },
  {
    name: 'packages: a crate with publish = false',
    mode: 'rehearse',
    inputs: { packages: 'shr-app' },
    prepare: ws =>
      edit(join(ws, 'core', 'Cargo.toml'), t =>
        t.replace('[package]', '[package]\npublish = false')
      ),
    exit: 2,
    problem: /shr-app depends on shr-core, which is not published \(publish = false\)/,
    fix: /make shr-core publishable/
  },

  // .shipper.toml
  {
    name: '.shipper.toml: not TOML',
    mode: 'rehearse',
    prepare: ws => writeFileSync(join(ws, '.shipper.toml'), 'state_dir = [\n'),
    exit: 2,
    problem: /\.shipper\.toml is not valid TOML at line \d+/,
    fix: /fix the file/
  },
  {
    name: '.shipper.toml: a value of the wrong type',
    mode: 'publish',
    prepare: ws => writeFileSync(join(ws, '.shipper.toml'), '[retry]\nmax_attempts = "six"\n'),
    exit: 2,
    problem: /\.shipper\.toml: `retry\.max_attempts` is invalid/,
    fix: /README/
  },
  {
    name: '.shipper.toml: an invalid duration',
    mode: 'publish',
    prepare: ws => writeFileSync(join(ws, '.shipper.toml'), '[retry]\nbase_delay = "soon"\n'),
    exit: 2,
    problem: /\.shipper\.toml: `retry\.base_delay` is not a duration: "soon"/,
    fix: /milliseconds as an integer \(300000\) or a humantime string such as "90s", "5min"/
  },

  // The rehearsal record publish mode reads.
  {
    name: 'rehearsal.json: not JSON',
    mode: 'publish',
    prepare: ws => writeFileSync(join(ws, '.shipper', 'rehearsal.json'), '{"schema_version": '),
    exit: 1,
    problem: /rehearsal receipt at .* is invalid: not valid JSON/,
    fix: /rehearse again/
  },
  {
    name: 'rehearsal.json: a foreign schema',
    mode: 'publish',
    prepare: ws => editReceipt(ws, r => (r.schema_version = 'shipper.receipt.v2')),
    exit: 1,
    problem: /invalid: foreign schema: schema_version is "shipper\.receipt\.v2"/,
    fix: /rehearse again/
  },
  {
    name: 'rehearsal.json: oversized',
    mode: 'publish',
    prepare: ws => editReceipt(ws, r => (r.padding = 'x'.repeat(1_500_000))),
    exit: 1,
    problem: /invalid: oversized: \d+ bytes/,
    fix: /rehearse again/
  },
  {
    name: 'rehearsal.json: a required field missing',
    mode: 'publish',
    prepare: ws => editReceipt(ws, r => delete r.plan_id),
    exit: 1,
    problem: /invalid: missing required field 'plan_id'/,
    fix: /rehearse again/
  },
  {
    name: 'rehearsal.json: a field of the wrong type',
    mode: 'publish',
    prepare: ws => editReceipt(ws, r => (r.passed = 'yes')),
    exit: 1,
    problem: /invalid: field 'passed' is invalid/,
    fix: /rehearse again/
  },
  {
    name: 'rehearsal.json: missing (no artifact, no local record)',
    mode: 'publish',
    prepare: ws => rmSync(join(ws, '.shipper', 'rehearsal.json')),
    exit: 1,
    problem: /no rehearsal receipt at .*rehearsal\.json/,
    fix: /rehears/
  },
  {
    name: 'events.jsonl: nothing but garbage',
    mode: 'publish',
    prepare: ws => writeFileSync(join(ws, '.shipper', 'events.jsonl'), 'garbage\n{"half":\n\0\0\n'),
    exit: 1,
    // Not the bytes the receipt was written with (events_sha256).
    problem: /is not the log the receipt was written with/,
    fix: /one rehearsal artifact/
  },
  {
    // The log is append-only: lines after the rehearsal's own bytes are read leniently.
    name: 'events.jsonl: garbage lines after an intact record (dry run)',
    mode: 'publish',
    inputs: { 'dry-run': 'true' },
    prepare: ws => edit(join(ws, '.shipper', 'events.jsonl'), t => `${t}not json\n{"timestamp":\n`),
    exit: 0,
    problem: /rehearsal accepted: .*unreadable lines \d+, \d+ skipped/,
    fix: /./
  },

  // Registries.
  {
    name: 'registry-url: nothing answers',
    mode: 'rehearse',
    inputs: { 'registry-url': 'http://127.0.0.1:DEAD', 'registry-wait': '1s' },
    exit: 1,
    problem:
      /the rehearsal registry did not answer at http:\/\/127\.0\.0\.1:\d+\/api\/v1\/health within 1s/,
    fix: /registry-wait/
  },
  {
    name: 'target-registry-url: nothing answers',
    mode: 'publish',
    inputs: { 'target-registry-url': 'http://127.0.0.1:DEAD' },
    exit: 1,
    problem: /could not read http:\/\/127\.0\.0\.1:\d+\/api\/v1\/crates\/config\.json/,
    fix: /target-registry-url/
  },
  {
    name: 'registry-url: plain http on a non-loopback host',
    mode: 'rehearse',
    inputs: { 'registry-url': 'http://registry.example.com' },
    exit: 2,
    problem: /registry-url uses plain http on registry\.example\.com/,
    fix: /use https/
  },
  {
    name: 'registry-url: crates.io',
    mode: 'rehearse',
    inputs: { 'registry-url': 'sparse+https://index.crates.io/' },
    exit: 2,
    problem: /registry-url points at crates\.io/,
    fix: /throwaway/
  },
  {
    name: 'registry-url: the live target (base URL)',
    mode: 'rehearse',
    inputs: { 'registry-url': 'LIVE' },
    exit: 2,
    problem: /registry-url is the live target registry 'live'/,
    fix: /throwaway/
  },
  {
    name: 'registry-url: the live target (sparse index URL)',
    mode: 'rehearse',
    inputs: { 'registry-url': 'sparse+LIVE/api/v1/crates/' },
    exit: 2,
    problem: /registry-url is the live target registry 'live'/,
    fix: /throwaway/
  },
  {
    name: 'cargo missing from PATH',
    mode: 'rehearse',
    env: pathWithoutCargo,
    exit: 2,
    problem: /cargo was not found/,
    fix: /install Rust/
  },
  {
    name: 'publish without a token for the live registry',
    mode: 'publish',
    inputs: { token: '' },
    exit: 2,
    problem: /no token for the live registry 'live'/,
    fix: /CARGO_REGISTRIES_LIVE_TOKEN/
  },

  // Command-line usage.
  {
    name: 'an unknown command',
    mode: 'rehearse',
    doors: ['cli'],
    cli: () => ['deploy'],
    exit: 2,
    problem: /unknown command 'deploy'/,
    fix: /--help/
  },
  {
    name: 'an unknown flag',
    mode: 'rehearse',
    doors: ['cli'],
    cli: () => ['rehearse', '--registry-ulr', 'http://127.0.0.1:1'],
    exit: 2,
    problem: /unknown flag --registry-ulr/,
    fix: /--help/
  },
  {
    name: 'a flag without its value',
    mode: 'rehearse',
    doors: ['cli'],
    cli: () => ['plan', '--packages'],
    exit: 2,
    problem: /flag --packages needs a value/,
    fix: /--packages=VALUE/
  },
  // The subcommand fixes the mode: a contradicting --mode is refused, not silently overridden.
  {
    name: '--mode contradicting the command',
    mode: 'rehearse',
    doors: ['cli'],
    cli: () => ['rehearse', '--mode', 'publish', ...flags(baseInputs('rehearse'))],
    exit: 2,
    problem: /--mode/,
    fix: /drop --mode|--mode/
  },
  {
    name: 'registry serve: a port out of range',
    mode: 'rehearse',
    doors: ['cli'],
    cli: () => ['registry', 'serve', '--port', '99999'],
    exit: 2,
    problem: /--port must be a port number/,
    fix: /registry serve/
  }
]

/** Placeholders resolved once the registries run: `DEAD` (a closed port) and `LIVE` (its URL). */
function resolveValue(value: string): string {
  return value.replace('127.0.0.1:DEAD', `127.0.0.1:${deadPort}`).replace('LIVE', fixture.live.url)
}

function inputsOf(c: BadInput): Record<string, string> {
  const inputs = { ...baseInputs(c.mode), ...c.inputs }
  return Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, resolveValue(v)]))
}

/** Secret inputs reach the command line in files (`--NAME-file`); an empty one is left out. */
function flags(inputs: Record<string, string>): string[] {
  return Object.entries(inputs).flatMap(([k, v]) => {
    if (!SECRET_INPUTS.has(k)) return [`--${k}=${v}`]
    if (v === '') return []
    const path = join(fixture.sandbox.root, `secret-${++secretFiles}`)
    writeFileSync(path, v)
    return [`--${k}-file=${path}`]
  })
}
let secretFiles = 0

function prepared(c: BadInput): string {
  const ws = fixture.workspace()
  c.prepare?.(ws)
  return ws
}

/**
 * The command line: exit code, no stack, and the problem with its fix — an input error is one
 * `error: ... (hint: ...)` line on stderr; a failure or refusal is the verdict line and its
 * `hint:` line of the run's report.
 */
function checkCli(c: BadInput, run: ProcessRun): void {
  const all = `${run.stdout}\n${run.stderr}`
  expect({ exit: run.code, output: all }).toMatchObject({ exit: c.exit })
  expect(stackLines(all)).toEqual([])
  const errors = cliErrorLines(run.stderr)
  if (c.exit === 2) {
    expect(errors).toHaveLength(1)
    const [line] = errors as [string]
    expect(line).toMatch(c.problem)
    expect(line.slice(line.indexOf('(hint: '))).toMatch(c.fix)
  } else if (c.exit === 1) {
    expect(errors.length).toBeLessThanOrEqual(1)
    const verdict = errors[0]?.includes('(hint: ')
      ? (errors[0] as string)
      : all.split('\n').find(l => /^(failed|refused)\b/.test(l) && c.problem.test(l))
    expect(verdict).toMatch(c.problem)
    const hint = verdict?.includes('(hint: ')
      ? verdict.slice(verdict.indexOf('(hint: '))
      : all.split('\n').find(l => l.startsWith('hint: '))
    expect(hint).toMatch(c.fix)
  } else {
    expect(errors).toEqual([])
    expect(all).toMatch(c.problem)
  }
}

/**
 * The action: exit code, no stack, and an error annotation with the problem and its fix — as
 * setFailed writes it (`::error::problem (hint: fix)`) or as a titled annotation
 * (`::error title=...::problem%0AFix: fix`); an input error raises nothing else.
 */
function checkAction(c: BadInput, run: ProcessRun): void {
  const all = `${run.stdout}\n${run.stderr}`
  expect({ exit: run.code, output: all }).toMatchObject({ exit: c.exit })
  expect(stackLines(all)).toEqual([])
  const commands = errorCommands(run.stdout)
  if (c.exit === 0) {
    expect(commands).toEqual([])
    expect(all).toMatch(c.problem)
    return
  }
  if (c.exit === 2) expect(commands).toHaveLength(1)
  const reported = commands.map(line => {
    const text = line.slice(line.indexOf('::', 2) + 2)
    const at = text.search(/ \(hint: |%0AFix: /)
    return at === -1
      ? { problem: text, fix: '' }
      : { problem: text.slice(0, at), fix: text.slice(at) }
  })
  expect(reported.some(r => c.problem.test(r.problem) && r.fix !== '' && c.fix.test(r.fix))).toBe(
    true
  )
}

function cliArgs(c: BadInput): string[] {
  if (c.cli) return c.cli()
  return [c.mode, ...flags(inputsOf(c))]
}

describe(`bad-input corpus (${CASES.length} cases)`, () => {
  it('has at least 40 cases, each named once', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40)
    expect(new Set(CASES.map(c => c.name)).size).toBe(CASES.length)
  })

  it.each(CASES.map(c => [c.name, c] as const))('%s', async (_name, c) => {
    const doors = c.doors ?? ['cli', 'action']
    const before = uploads()
    const env = c.env?.() ?? {}
    const [cli, action] = await Promise.all([
      doors.includes('cli')
        ? runCli(fixture.sandbox, prepared(c), cliArgs(c), { ...fixture.env(), ...env })
        : undefined,
      doors.includes('action')
        ? (() => {
            const ws = prepared(c)
            return runAction(
              fixture.sandbox,
              ws,
              { mode: c.mode, cache: 'false', ...inputsOf(c) },
              { ...fixture.env(), ...env }
            )
          })()
        : undefined
    ])
    expect(uploads()).toEqual(before)
    if (c.secret) {
      for (const run of [cli, action]) {
        expect(run?.stdout ?? '').not.toContain(c.secret)
        expect(run?.stderr ?? '').not.toContain(c.secret)
      }
    }
    if (cli) checkCli(c, cli)
    if (action) checkAction(c, action)
  })
})

// One failed run, one error annotation: titled and pinned to the manifest, not repeated.
describe('the action raises one error annotation per failed run', () => {
  it.each([
    [
      'a refusal',
      CASES.find(c => c.name === 'rehearsal.json: missing (no artifact, no local record)')!
    ],
    ['a failure', CASES.find(c => c.name === 'registry-url: nothing answers')!]
  ])('%s', async (_what, c) => {
    const run = await runAction(
      fixture.sandbox,
      prepared(c),
      { mode: c.mode, cache: 'false', ...inputsOf(c) },
      fixture.env()
    )
    expect(run.code).toBe(1)
    expect(errorCommands(run.stdout)).toHaveLength(1)
  })
})
