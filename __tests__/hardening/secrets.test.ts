import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runInWorkflow, type WorkflowDeps } from '../../src/github/workflow.js'
import type { SummaryWriter } from '../../src/github/summary.js'
import type { Options } from '../../src/options/types.js'
import { startRegistry } from '../../src/registry/index.js'
import type { EmbeddedRegistry } from '../../src/registry/types.js'
import { runAction, runCli, withoutMaskCommands, type ProcessRun } from '../helpers/action.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'
import { LIVE_WS, MemoryArtifacts, publishOptions, testContext } from '../publish/helpers.js'
import { expectUploadedOnce, leaked } from './helpers.js'

/**
 * Secrets: rehearse and publish run with recognizable tokens, and the registries are made to echo
 * them back in error bodies, which cargo prints. No token may then appear in stdout, stderr, the
 * job summary, the outputs file, events.jsonl, rehearse-events.jsonl, rehearsal.json,
 * publish-record.json, or the files handed to the artifact upload. (The action's `::add-mask::`
 * commands are the one place a token must appear: they tell the runner what to hide.)
 */
const LIVE_TOKEN = 'shrlive-SECRET-4c1d9e7a0b5f'
const REHEARSAL_TOKEN = 'shrreh-SECRET-8e2f6a1c3d7b'
const GITHUB_TOKEN = 'ghs_SECRETgithub5b7d9f1a3c'
const REGISTRY_PASSWORD = 'kellnr-SECRET-password-6a8c'
const RUNTIME_TOKEN = 'actions-runtime-SECRET-2b4d6f'
const SECRETS = [LIVE_TOKEN, REHEARSAL_TOKEN, GITHUB_TOKEN, REGISTRY_PASSWORD, RUNTIME_TOKEN]

let sandbox: CargoSandbox

beforeAll(() => {
  sandbox = cargoSandbox('sr-hard-secrets-')
})

afterAll(() => {
  sandbox?.cleanup()
})

/** Registries of one scenario, with the tokens above; `liveEnv` tells cargo the live one. */
async function registries(): Promise<{ live: EmbeddedRegistry; rehearsal: EmbeddedRegistry }> {
  return {
    live: await startRegistry({ token: LIVE_TOKEN }),
    rehearsal: await startRegistry({ token: REHEARSAL_TOKEN })
  }
}

function liveEnv(live: EmbeddedRegistry): Record<string, string> {
  return { ...sandbox.env, CARGO_REGISTRIES_LIVE_INDEX: live.indexUrl }
}

/** An error body quoting the token, as a confused registry might send it. */
const echo = (token: string, status: number) => ({
  times: 1,
  status,
  body: { errors: [{ detail: `the token ${token} may not publish this crate` }] }
})

/** Everything a run left in its state dir, by file name. */
function stateFiles(ws: string): Record<string, string> {
  const dir = join(ws, '.shipper')
  return Object.fromEntries(readdirSync(dir).map(f => [f, readFileSync(join(dir, f), 'utf8')]))
}

/** Where each secret showed up, as `place: secret` strings; [] when nothing leaked. */
function leaks(places: Record<string, string>): string[] {
  return Object.entries(places).flatMap(([place, text]) =>
    leaked(text, SECRETS).map(s => `${place}: ${s}`)
  )
}

function processPlaces(run: ProcessRun): Record<string, string> {
  return { stdout: withoutMaskCommands(run.stdout), stderr: run.stderr }
}

describe('no secret leaks through the action bundle', () => {
  it('rehearse (failing, then passing) and publish (retried, failing, then finishing)', async () => {
    const { live, rehearsal } = await registries()
    const ws = sandbox.copyFixture(LIVE_WS, 'action-ws')
    const found: string[] = []
    try {
      const common = {
        'target-registry': 'live',
        'target-registry-url': live.url,
        'github-token': GITHUB_TOKEN,
        'registry-password': REGISTRY_PASSWORD,
        cache: 'false'
      }
      const step = async (inputs: Record<string, string>) => {
        const run = await runAction(sandbox, ws, { ...common, ...inputs }, liveEnv(live))
        found.push(
          ...leaks({
            ...processPlaces(run),
            summary: run.summary,
            outputs: readFileSync(run.outputFile, 'utf8'),
            ...stateFiles(ws)
          })
        )
        return run
      }
      const rehearseInputs = { 'registry-url': rehearsal.url, 'registry-token': REHEARSAL_TOKEN }

      rehearsal.faults.failPublish('shr-util', echo(REHEARSAL_TOKEN, 500))
      const failed = await step(rehearseInputs)
      expect(failed.outputs.outcome).toBe('failed')
      expect(failed.stdout).toContain('may not publish this crate')
      expect(failed.stdout).toContain(`::add-mask::${REHEARSAL_TOKEN}`)

      expect((await step(rehearseInputs)).outputs.outcome).toBe('passed')

      live.faults.failPublish('shr-core', echo(LIVE_TOKEN, 503))
      live.faults.failPublish('shr-app', echo(LIVE_TOKEN, 400))
      const stopped = await step({ mode: 'publish', token: LIVE_TOKEN })
      expect(stopped.outputs.outcome).toBe('failed')
      expect(stateFiles(ws)['events.jsonl']).toContain('may not publish this crate')

      const finished = await step({ mode: 'publish', token: LIVE_TOKEN })
      expect(finished.outputs.outcome).toBe('published')
      expectUploadedOnce([live.faults.uploads()])
      expect(found).toEqual([])
    } finally {
      await live.close()
      await rehearsal.close()
    }
  })
})

describe('no secret leaks through the command line', () => {
  it('tokens from files and from the environment', async () => {
    const { live, rehearsal } = await registries()
    const ws = sandbox.copyFixture(LIVE_WS, 'cli-ws')
    const found: string[] = []
    try {
      const target = ['--target-registry', 'live', '--target-registry-url', live.url]
      const step = async (args: string[], env: Record<string, string> = {}) => {
        const run = await runCli(sandbox, ws, [...args, ...target], { ...liveEnv(live), ...env })
        found.push(...leaks({ ...processPlaces(run), ...stateFiles(ws) }))
        return run
      }
      const rehearseArgs = ['rehearse', '--registry-url', rehearsal.url]
      const rehearseEnv = {
        SHIPPER_REGISTRY_TOKEN: REHEARSAL_TOKEN,
        SHIPPER_REGISTRY_PASSWORD: REGISTRY_PASSWORD
      }

      rehearsal.faults.failPublish('shr-core', echo(REHEARSAL_TOKEN, 500))
      const failed = await step(rehearseArgs, rehearseEnv)
      expect(failed.code).toBe(1)
      expect(failed.stdout).toContain('may not publish this crate')
      expect((await step(rehearseArgs, rehearseEnv)).code).toBe(0)

      live.faults.failPublish('shr-util', echo(LIVE_TOKEN, 400))
      const tokenFile = join(sandbox.root, 'live-token')
      writeFileSync(tokenFile, `${LIVE_TOKEN}\n`)
      const stopped = await step(['publish', '--token-file', tokenFile], {
        GITHUB_TOKEN: GITHUB_TOKEN
      })
      expect(stopped.code).toBe(1)
      expect(stopped.stdout).toContain('may not publish this crate')

      live.faults.failPublish('shr-app', echo(LIVE_TOKEN, 503))
      const finished = await step(['publish'], { CARGO_REGISTRIES_LIVE_TOKEN: LIVE_TOKEN })
      expect(finished.code).toBe(0)
      expectUploadedOnce([live.faults.uploads()])
      expect(found).toEqual([])
    } finally {
      await live.close()
      await rehearsal.close()
    }
  })
})

describe('secret flags on the command line', () => {
  it('are refused with exit 2 and the way to give the secret, never echoing it, uploading nothing', async () => {
    const live = await startRegistry({ token: LIVE_TOKEN })
    const ws = sandbox.copyFixture(LIVE_WS, 'flag-ws')
    try {
      const target = ['--target-registry', 'live', '--target-registry-url', live.url]
      for (const [flag, via] of [
        ['token', /CARGO_REGISTRY_TOKEN.*--token-file PATH/],
        ['registry-token', /SHIPPER_REGISTRY_TOKEN.*--registry-token-file PATH/],
        ['github-token', /GITHUB_TOKEN.*--github-token-file PATH/],
        ['registry-password', /SHIPPER_REGISTRY_PASSWORD.*--registry-password-file PATH/]
      ] as const) {
        for (const given of [[`--${flag}`, LIVE_TOKEN], [`--${flag}=${LIVE_TOKEN}`]]) {
          const run = await runCli(sandbox, ws, ['publish', ...given, ...target], liveEnv(live))
          expect(run.code).toBe(2)
          expect(run.stderr).toMatch(new RegExp(`--${flag} is not accepted`))
          expect(run.stderr.replace(/\s+/g, ' ')).toMatch(via)
          expect(leaked(run.stdout + run.stderr, [LIVE_TOKEN])).toEqual([])
        }
      }
      expect(live.faults.uploads()).toEqual({})
      expect(existsSync(join(ws, '.shipper'))).toBe(false)
    } finally {
      await live.close()
    }
  })
})

/** The artifact service in memory, recording what each upload was handed. */
class RecordingArtifacts extends MemoryArtifacts {
  texts(): Record<string, string> {
    return Object.fromEntries(
      this.uploaded.flatMap((u, i) =>
        [...u.files].map(([path, bytes]) => [`artifact ${i} ${u.name}/${path}`, bytes.toString()])
      )
    )
  }
}

function workflowDeps(ws: string, artifacts: RecordingArtifacts) {
  let summary = ''
  const annotations: string[] = []
  const writer: SummaryWriter = {
    addRaw(text) {
      summary += text
      return writer
    },
    write: async () => undefined
  }
  const deps: WorkflowDeps = {
    env: {
      GITHUB_WORKSPACE: ws,
      GITHUB_STEP_SUMMARY: join(ws, 'summary.md'),
      ACTIONS_RUNTIME_TOKEN: RUNTIME_TOKEN,
      ACTIONS_RESULTS_URL: 'http://127.0.0.1:9/',
      GITHUB_REPOSITORY: 'acme/widgets',
      GITHUB_RUN_ID: '100'
    },
    summary: { summary: writer },
    annotate: message => void annotations.push(message),
    state: { saveState: () => undefined, getState: () => '' },
    cacheService: () => Promise.reject(new Error('cache is off in this test')),
    artifacts: async () => artifacts
  }
  return { deps, summary: () => summary, annotations }
}

describe('no secret leaks into the workflow artifacts', () => {
  it('the rehearsal artifact and the publish record, through runInWorkflow', async () => {
    const { live, rehearsal } = await registries()
    const ws = sandbox.copyFixture(LIVE_WS, 'workflow-ws')
    const artifacts = new RecordingArtifacts()
    const found: string[] = []
    try {
      const options = (overrides: Partial<Options>) =>
        publishOptions(join(ws, 'Cargo.toml'), live.url, {
          registryUrl: rehearsal.url,
          registryToken: REHEARSAL_TOKEN,
          registryPassword: REGISTRY_PASSWORD,
          githubToken: GITHUB_TOKEN,
          token: LIVE_TOKEN,
          ...overrides
        })
      const step = async (overrides: Partial<Options>) => {
        const ctx = testContext(liveEnv(live))
        const w = workflowDeps(ws, artifacts)
        const result = await runInWorkflow(options(overrides), ctx, w.deps)
        found.push(
          ...leaks({
            summary: w.summary(),
            annotations: w.annotations.join('\n'),
            log: ctx.logger.lines.join('\n'),
            progress: ctx.lines.join('\n'),
            ...stateFiles(ws)
          })
        )
        return result
      }

      rehearsal.faults.failPublish('shr-core', echo(REHEARSAL_TOKEN, 500))
      expect((await step({ mode: 'rehearse' })).outcome).toBe('failed')
      expect((await step({ mode: 'rehearse' })).outcome).toBe('passed')
      live.faults.failPublish('shr-app', echo(LIVE_TOKEN, 400))
      expect((await step({ mode: 'publish' })).outcome).toBe('failed')
      const published = await step({ mode: 'publish' })
      expect(published.outcome).toBe('published')

      expect(artifacts.uploaded.map(u => u.name)).toEqual([
        'shipper-rehearsal',
        'shipper-rehearsal',
        'shipper-rehearsal-publish',
        'shipper-rehearsal-publish'
      ])
      const texts = artifacts.texts()
      expect(Object.values(texts).join('\n')).toContain('may not publish this crate')
      found.push(...leaks(texts))
      expect(found).toEqual([])
    } finally {
      await live.close()
      await rehearsal.close()
    }
  })
})

/** A build script that writes its whole environment to `$HARDENING_ENV_DUMP/<crate>-<pid>.env`. */
const DUMPING_BUILD_RS = `use std::io::Write;
fn main() {
    if let Ok(dir) = std::env::var("HARDENING_ENV_DUMP") {
        let name = format!("{}-{}.env", std::env::var("CARGO_PKG_NAME").unwrap(), std::process::id());
        let mut file = std::fs::File::create(std::path::Path::new(&dir).join(name)).unwrap();
        for (key, value) in std::env::vars() {
            writeln!(file, "{key}={value}").unwrap();
        }
    }
}
`

// Build scripts and proc macros (the workspace's and every dependency's) run inside cargo: neither
// the action's inputs nor a registry token that the build does not need may be in their env.
describe('no secret reaches the code cargo builds', () => {
  it('build scripts run by the rehearsal and by the publish verification see no token', async () => {
    const { live, rehearsal } = await registries()
    const ws = sandbox.copyFixture(LIVE_WS, 'build-script-ws')
    writeFileSync(join(ws, 'core', 'build.rs'), DUMPING_BUILD_RS)
    const dumps = join(sandbox.root, 'env-dumps')
    mkdirSync(dumps)
    try {
      const common = {
        'target-registry': 'live',
        'target-registry-url': live.url,
        'github-token': GITHUB_TOKEN,
        'registry-password': REGISTRY_PASSWORD,
        cache: 'false'
      }
      const env = { ...liveEnv(live), HARDENING_ENV_DUMP: dumps }
      const rehearsed = await runAction(
        sandbox,
        ws,
        { ...common, 'registry-url': rehearsal.url, 'registry-token': REHEARSAL_TOKEN },
        env
      )
      expect(rehearsed.outputs.outcome).toBe('passed')
      const published = await runAction(
        sandbox,
        ws,
        { ...common, mode: 'publish', token: LIVE_TOKEN, verify: 'always' },
        env
      )
      expect(published.outputs.outcome).toBe('published')

      const files = readdirSync(dumps)
      // The rehearsal's verification build and the publish's both ran the script.
      expect(files.length).toBeGreaterThanOrEqual(2)
      const found = leaks(
        Object.fromEntries(
          files.map(f => [`build script env ${f}`, readFileSync(join(dumps, f), 'utf8')])
        )
      )
      expect(found).toEqual([])
    } finally {
      await live.close()
      await rehearsal.close()
    }
  })
})
