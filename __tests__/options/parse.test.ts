import { describe, expect, it, beforeAll, afterAll } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fakeClock } from '../../src/clock.js'
import { UserError } from '../../src/errors.js'
import { parseDuration } from '../../src/options/duration.js'
import { INPUTS } from '../../src/options/inputs.js'
import { parseOptions, resolveStateDir, type RawInputs } from '../../src/options/parse.js'
import { waitForVersion } from '../../src/sparse/client.js'

let dir: string
const env = {}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sr-options-'))
  writeFileSync(join(dir, 'Cargo.toml'), '[workspace]\nmembers = []\n')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function parseError(raw: RawInputs): Promise<UserError> {
  try {
    await parseOptions(raw, { cwd: dir, env })
  } catch (error) {
    if (error instanceof UserError) return error
    throw error
  }
  throw new Error('expected a UserError')
}

describe('parseDuration', () => {
  it.each([
    ['2m', 120_000],
    ['90s', 90_000],
    ['500ms', 500],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['45', 45_000],
    ['1.5s', 1500]
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each(['', 'soon', '5 minutes', '-1s', '2x'])('rejects %p', text => {
    expect(parseDuration(text)).toBeUndefined()
  })
})

describe('parseOptions', () => {
  it('applies every default of docs/contract.md when no input is given', async () => {
    const o = await parseOptions({}, { cwd: dir, env })
    expect(o).toMatchObject({
      mode: 'rehearse',
      manifestPath: join(dir, 'Cargo.toml'),
      packages: [],
      registryUrl: '',
      registryName: 'rehearsal',
      registryWaitMs: 120_000,
      registryUser: 'admin',
      registryPassword: 'admin',
      smokeBuild: false,
      skipRehearsal: false,
      stateDir: '.shipper',
      artifactName: 'shipper-rehearsal',
      retentionDays: undefined,
      rehearsalRunId: undefined,
      statusCheck: false,
      targetRegistry: 'crates-io',
      trustedPublishing: 'auto',
      dryRun: false,
      maxConcurrency: 4,
      readinessTimeoutMs: 300_000,
      maxAttempts: 6,
      bind: 'content',
      cache: true,
      allowDirty: false,
      configPath: undefined
    })
  })

  it('treats an empty input as its default, as the runner does', async () => {
    const raw = Object.fromEntries(INPUTS.map(i => [i.name, '']))
    const o = await parseOptions(raw, { cwd: dir, env })
    expect(o.mode).toBe('rehearse')
    expect(o.maxConcurrency).toBe(4)
  })

  it('splits package lists on commas and newlines and drops duplicates', async () => {
    const o = await parseOptions({ packages: 'a, b\nc,,a\n' }, { cwd: dir, env })
    expect(o.packages).toEqual(['a', 'b', 'c'])
  })

  it('takes the github token from GITHUB_TOKEN when the input is empty', async () => {
    const o = await parseOptions({}, { cwd: dir, env: { GITHUB_TOKEN: 'ghs_x' } })
    expect(o.githubToken).toBe('ghs_x')
  })

  it.each([
    ['mode', 'deploy', /`mode`.*'deploy'.*`rehearse`, `publish`/],
    ['smoke-build', 'maybe', /`smoke-build`.*`true` or `false`/],
    ['registry-wait', 'forever', /`registry-wait`.*duration/],
    ['readiness-timeout', '0s', /`readiness-timeout`/],
    ['max-concurrency', '0', /`max-concurrency`.*1 to 64/],
    ['max-attempts', 'six', /`max-attempts`/],
    ['retention-days', '91', /`retention-days`.*1 to 90/],
    ['rehearsal-run-id', '-3', /`rehearsal-run-id`/],
    ['bind', 'commit', /`bind`.*`plan`, `content`/],
    ['trusted-publishing', 'yes please', /`trusted-publishing`/],
    ['registry-url', 'ftp://example.com', /`registry-url`.*http/],
    ['registry-url', 'not a url', /`registry-url`/],
    ['registry-url', 'https://user:pw@example.com', /`registry-url`.*credentials/],
    ['target-registry-url', 'localhost:8000', /`target-registry-url`/],
    ['packages', 'good,bad name', /`packages`.*'bad name'/],
    ['smoke-install', 'a/b', /`smoke-install`/],
    ['registry-name', 'has space', /`registry-name`/],
    ['registry-name', 'crates-io', /live target registry/],
    ['target-registry', 'a.b', /`target-registry`/],
    ['artifact-name', 'a/b', /`artifact-name`/],
    ['cache', 'sometimes', /`cache`/],
    ['dry-run', '2', /`dry-run`/],
    ['allow-dirty', 'y', /`allow-dirty`/],
    ['status-check', 'on', /`status-check`/],
    ['skip-rehearsal', 'skip', /`skip-rehearsal`/]
  ])('rejects %s=%p with one line naming the input (exit 2)', async (name, value, pattern) => {
    const error = await parseError({ [name]: value })
    expect(error.exitCode).toBe(2)
    expect(error.line).toMatch(pattern)
    expect(error.line).not.toContain('\n')
    expect(error.hint).not.toBe('')
  })

  it('rejects a missing manifest with a hint about checkout', async () => {
    const error = await parseError({ 'manifest-path': 'nope/Cargo.toml' })
    expect(error.line).toMatch(/does not exist.*checkout/)
  })

  it('rejects an input name it does not know (a programming error, not user input)', async () => {
    await expect(parseOptions({ 'no-such-input': 'x' }, { cwd: dir, env })).rejects.toThrow(
      /unknown input/
    )
  })

  it('resolves a relative state dir against the workspace root, keeps an absolute one', () => {
    expect(resolveStateDir({ stateDir: '.shipper' }, '/ws')).toBe('/ws/.shipper')
    expect(resolveStateDir({ stateDir: '/abs/state' }, '/ws')).toBe('/abs/state')
  })
})

describe('.shipper.toml', () => {
  function withConfig(text: string): string {
    const ws = mkdtempSync(join(dir, 'cfg-'))
    writeFileSync(join(ws, 'Cargo.toml'), '[workspace]\nmembers = []\n')
    writeFileSync(join(ws, '.shipper.toml'), text)
    return ws
  }

  it('is read beside the manifest; the file beats defaults and inputs beat the file', async () => {
    const ws = withConfig(
      [
        'state_dir = "out/state"',
        '[rehearsal]',
        'registry = "staging"',
        '[[registries]]',
        'name = "staging"',
        'index_base = "http://localhost:9000/api/v1/crates"',
        '[readiness]',
        'max_total_wait = "7m"',
        '[retry]',
        'max_attempts = 3',
        'base_delay = "1s"',
        'max_delay = "30s"',
        '[policy]',
        'mode = "safe"'
      ].join('\n')
    )
    const fromFile = await parseOptions({}, { cwd: ws, env })
    expect(fromFile).toMatchObject({
      stateDir: 'out/state',
      registryName: 'staging',
      registryUrl: 'sparse+http://localhost:9000/api/v1/crates/',
      readinessTimeoutMs: 420_000,
      maxAttempts: 3,
      retryBaseMs: 1000,
      retryMaxMs: 30_000,
      configPath: join(ws, '.shipper.toml')
    })
    const overridden = await parseOptions(
      { 'state-dir': 'mine', 'max-attempts': '9', 'registry-name': 'r2' },
      { cwd: ws, env }
    )
    expect(overridden).toMatchObject({ stateDir: 'mine', maxAttempts: 9, registryName: 'r2' })
  })

  it("accepts shipper's nested [[registries.registries]] form", async () => {
    const ws = withConfig(
      '[rehearsal]\nregistry = "k"\n[[registries.registries]]\nname = "k"\napi_base = "http://localhost:8000"\n'
    )
    const o = await parseOptions({}, { cwd: ws, env })
    expect(o.registryUrl).toBe('http://localhost:8000')
  })

  it('rejects malformed TOML with the line and column', async () => {
    const ws = withConfig('state_dir = "unterminated\n')
    const error = await parseError({ config: join(ws, '.shipper.toml') })
    expect(error.line).toMatch(/not valid TOML at line 1/)
  })

  it('rejects a known key with the wrong type, naming the key', async () => {
    const ws = withConfig('[retry]\nmax_attempts = "many"\n')
    const error = await parseError({ config: join(ws, '.shipper.toml') })
    expect(error.line).toMatch(/`retry.max_attempts` is invalid/)
  })

  it('reads an integer duration as milliseconds, as shipper does: 300000 bounds a readiness wait at 5 minutes', async () => {
    const ws = withConfig('[readiness]\nmax_total_wait = 300000\n')
    const options = await parseOptions({}, { cwd: ws, env })
    expect(options.readinessTimeoutMs).toBe(300_000)
    const clock = fakeClock()
    const start = clock.now()
    const notThere: typeof fetch = async () => new Response('', { status: 404 })
    const seen = await waitForVersion('sparse+http://127.0.0.1:1/index/', 'a', '0.1.0', {
      timeoutMs: options.readinessTimeoutMs,
      clock,
      fetch: notThere
    })
    expect(seen.visible).toBe(false)
    expect(clock.now() - start).toBe(5 * 60 * 1000)
  })

  it.each([
    ['"5min"', 300_000],
    ['"90s"', 90_000],
    ['"1h 30m"', 5_400_000],
    ['"2 hours"', 7_200_000],
    ['"1m30s"', 90_000],
    ['"250ms"', 250],
    ['"1d"', 86_400_000]
  ])('reads max_total_wait = %s as %d ms, and the retry delays alike', async (value, ms) => {
    const ws = withConfig(
      `[readiness]\nmax_total_wait = ${value}\n[retry]\nbase_delay = ${value}\nmax_delay = ${value}\n`
    )
    expect(await parseOptions({}, { cwd: ws, env })).toMatchObject({
      readinessTimeoutMs: ms,
      retryBaseMs: ms,
      retryMaxMs: ms
    })
  })

  it.each([
    ['readiness', 'max_total_wait', '"5 minutes please"'],
    ['readiness', 'max_total_wait', '"300"'],
    ['retry', 'base_delay', '"1.5s"'],
    ['retry', 'max_delay', '-5'],
    ['retry', 'max_delay', '2.5']
  ])('refuses [%s] %s = %s in one line naming the key', async (table, key, value) => {
    const ws = withConfig(`[${table}]\n${key} = ${value}\n`)
    const failure = await parseOptions({}, { cwd: ws, env }).catch((e: UserError) => e)
    expect(failure).toBeInstanceOf(UserError)
    const { message, hint } = failure as UserError
    expect(message).toMatch(new RegExp(`: \`${table}\\.${key}\` is not a (positive )?duration: `))
    expect(message.startsWith(join(ws, '.shipper.toml'))).toBe(true)
    expect(message.endsWith(JSON.stringify(JSON.parse(value)))).toBe(true)
    expect(message).not.toContain('\n')
    expect(hint).toMatch(/milliseconds as an integer.*"5min"/)
  })

  it('refuses a readiness wait of zero, naming the key, but accepts retry delays of zero', async () => {
    const ws = withConfig('[readiness]\nmax_total_wait = 0\n')
    const failure = await parseOptions({}, { cwd: ws, env }).catch((e: UserError) => e)
    expect((failure as UserError).message).toBe(
      `${join(ws, '.shipper.toml')}: \`readiness.max_total_wait\` is not a positive duration: 0`
    )
    const retry = withConfig('[retry]\nbase_delay = 0\nmax_delay = "0s"\n')
    expect(await parseOptions({}, { cwd: retry, env })).toMatchObject({
      retryBaseMs: 0,
      retryMaxMs: 0
    })
  })

  it('keeps the inputs in their documented forms: readiness-timeout 45 is 45 seconds', async () => {
    const ws = withConfig('[readiness]\nmax_total_wait = "5min"\n')
    const options = await parseOptions({ 'readiness-timeout': '45' }, { cwd: ws, env })
    expect(options.readinessTimeoutMs).toBe(45_000)
  })

  it('rejects a config input that points at nothing', async () => {
    const error = await parseError({ config: 'missing.toml' })
    expect(error.line).toMatch(/cannot be read/)
  })
})
