import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { baseEnv, DIST_CLI, stackLines, startNode, type RunningProcess } from '../helpers/action.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'
import { descendants, killGroup, waitUntil } from './helpers.js'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'diagnostics')

/**
 * Ctrl-C while cargo verifies a crate whose build script takes a minute: the command line
 * (`node dist/cli.js`) must stop cargo and everything it started, remove its scratch copy and its
 * temporary registry, record a failing rehearsal, print one line and exit 130 (143 for SIGTERM).
 */
let sandbox: CargoSandbox
const started: RunningProcess[] = []

beforeAll(() => {
  sandbox = cargoSandbox('sr-interrupt-')
})
afterEach(async () => {
  for (const p of started.splice(0)) {
    killGroup(p.pid)
    await p.done.catch(() => undefined)
  }
})
afterAll(() => sandbox.cleanup())

/** Processes anywhere on the machine whose command line names this test's sandbox. */
function processesIn(root: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', '-a', root], { encoding: 'utf8' })
      .split('\n')
      .filter(l => l.trim() !== '')
  } catch {
    return []
  }
}

describe.each([
  ['SIGINT', 130],
  ['SIGTERM', 143]
] as const)('%s during packaging', (signal, code) => {
  it(`stops cargo's process group, removes temp dirs, records the failure, says one line, exits ${code}`, async () => {
    const ws = sandbox.copyFixture(join(FIXTURES, 'slow'), `slow-${signal}`)
    // Everything the run makes in the temp dir lands here, so "nothing left behind" is checkable.
    const tmp = join(sandbox.root, `tmp-${signal}`)
    mkdirSync(tmp)
    const run = startNode(DIST_CLI, ['rehearse'], {
      cwd: ws,
      env: baseEnv(sandbox, { TMPDIR: tmp, SLOW_BUILD_MS: '120000' }),
      detached: true
    })
    started.push(run)
    await waitUntil('the slow build script runs', () =>
      descendants(run.pid).some(p => p.comm.startsWith('build-script'))
    )
    expect(readdirSync(tmp).some(n => n.startsWith('shipper-rehearse-'))).toBe(true)

    process.kill(run.pid, signal)
    const done = await run.done

    expect(done.code).toBe(code)
    const lines = done.stderr.split('\n').filter(l => l.startsWith('interrupted'))
    expect(lines).toEqual([
      `interrupted by ${signal}: cargo stopped, temporary files removed; failing record: ${join(ws, '.shipper', 'rehearsal.json')}`
    ])
    expect(done.stdout).not.toMatch(/rehearsal stopped at/)
    expect(stackLines(done.stdout + done.stderr)).toEqual([])
    expect(readdirSync(tmp)).toEqual([])
    expect(processesIn(sandbox.root)).toEqual([])
    const receipt = JSON.parse(readFileSync(join(ws, '.shipper', 'rehearsal.json'), 'utf8')) as {
      passed: boolean
      summary: string
    }
    expect(receipt.passed).toBe(false)
    expect(receipt.summary).toBe(`rehearsal stopped at 0/1: interrupted by ${signal}`)
    expect(existsSync(join(ws, '.shipper', 'cargo.log'))).toBe(true)
  })
})
