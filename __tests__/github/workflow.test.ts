import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { systemClock } from '../../src/clock.js'
import { testContext } from '../helpers/context.js'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import type { ArtifactStore } from '../../src/record/artifacts.js'
import type { CacheService } from '../../src/github/cache.js'
import { runInWorkflow, type WorkflowDeps } from '../../src/github/workflow.js'
import { startRegistry } from '../../src/registry/index.js'
import type { EmbeddedRegistry } from '../../src/registry/types.js'
import { testOptions } from '../helpers/options.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'

const SHA = 'c'.repeat(40)

/** Everything the workflow layer hands to GitHub's services, captured by typed fakes. */
interface Captured {
  uploads: { name: string; files: string[]; root: string; retentionDays?: number }[]
  restores: { paths: string[]; key: string; restoreKeys?: string[] }[]
  state: Map<string, string>
  summary: string[]
  annotations: string[]
  statuses: { path: string; body: { state: string; description: string; context: string } }[]
}

function fakes(env: Record<string, string>, captured: Captured): WorkflowDeps {
  const store: ArtifactStore = {
    upload: async (name, files, root, options) => {
      captured.uploads.push({ name, files, root, ...options })
      return { id: 4242 }
    },
    download: async () => ({ kind: 'missing', message: 'not used in rehearse mode' })
  }
  const cache: CacheService = {
    restoreCache: async (paths, key, restoreKeys) => {
      captured.restores.push({ paths, key, ...(restoreKeys ? { restoreKeys } : {}) })
      return undefined
    },
    saveCache: async () => -1
  }
  const summaryWriter = {
    addRaw(text: string) {
      captured.summary.push(text)
      return summaryWriter
    },
    write: async () => undefined
  }
  return {
    env,
    summary: { summary: summaryWriter },
    annotate: message => void captured.annotations.push(message),
    state: {
      saveState: (k, v) => void captured.state.set(k, v),
      getState: k => captured.state.get(k) ?? ''
    },
    cacheService: async () => cache,
    artifacts: async () => store
  }
}

describe('a rehearsal inside a workflow', () => {
  let sandbox: CargoSandbox
  let live: EmbeddedRegistry
  let github: Server
  let githubUrl: string
  const statuses: Captured['statuses'] = []

  beforeAll(async () => {
    sandbox = cargoSandbox('sr-workflow-')
    live = await startRegistry()
    github = createServer((req, res) => {
      let raw = ''
      req.on('data', c => (raw += c))
      req.on('end', () => {
        statuses.push({ path: req.url ?? '', body: JSON.parse(raw) })
        res.writeHead(201, { 'content-type': 'application/json' })
        res.end('{}')
      })
    })
    await new Promise<void>(done => github.listen(0, '127.0.0.1', done))
    githubUrl = `http://127.0.0.1:${(github.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await live.close()
    await new Promise<void>(done => github.close(() => done()))
    sandbox.cleanup()
  })

  it('posts pending then success, restores the cache, uploads the record files and the cargo log, and writes the summary with a preview', async () => {
    const ws = sandbox.copyFixture(resolve('examples/demo'), 'demo')
    const env = {
      ACTIONS_RUNTIME_TOKEN: 'runtime-token',
      ACTIONS_RESULTS_URL: 'http://127.0.0.1:9/',
      GITHUB_API_URL: githubUrl,
      GITHUB_SERVER_URL: 'https://github.example',
      GITHUB_REPOSITORY: 'octo/widgets',
      GITHUB_RUN_ID: '77',
      GITHUB_EVENT_NAME: 'push',
      GITHUB_SHA: SHA,
      GITHUB_STEP_SUMMARY: join(sandbox.root, 'summary.md'),
      GITHUB_WORKSPACE: ws,
      RUNNER_OS: 'Linux',
      RUNNER_TEMP: sandbox.root,
      CARGO_HOME: sandbox.cargoHome
    }
    const captured: Captured = {
      uploads: [],
      restores: [],
      state: new Map(),
      summary: [],
      annotations: [],
      statuses
    }
    const ctx = testContext(sandbox.env, systemClock)
    // The demo is a crates.io workspace (no `registry` keys): its rehearsal targets crates.io.
    const options = testOptions(join(ws, 'Cargo.toml'), {
      statusCheck: true,
      githubToken: 'ghs_workflow_token',
      cache: true,
      retentionDays: 3
    })

    const result = await runInWorkflow(options, ctx, fakes(env, captured))

    expect(result.outcome).toBe('passed')
    expect(result.artifactId).toBe(4242)
    const stateDir = join(ws, '.shipper')
    expect(captured.uploads).toEqual([
      {
        name: 'shipper-rehearsal',
        files: [
          join(stateDir, 'rehearsal.json'),
          join(stateDir, 'events.jsonl'),
          join(stateDir, 'cargo.log')
        ],
        root: stateDir,
        retentionDays: 3
      }
    ])
    expect(statuses.map(s => [s.path, s.body.state, s.body.context])).toEqual([
      [`/repos/octo/widgets/statuses/${SHA}`, 'pending', 'shipper/rehearsal'],
      [`/repos/octo/widgets/statuses/${SHA}`, 'success', 'shipper/rehearsal']
    ])
    expect(statuses[1]?.body.description).toContain(result.plan?.planId.slice(0, 12))
    expect(captured.restores).toHaveLength(1)
    expect(captured.restores[0]?.paths).toContain(sandbox.targetDir)
    expect(captured.state.get('cache-key')).toBe(captured.restores[0]?.key)
    const summary = captured.summary.join('')
    expect(summary).toContain(result.plan?.planId ?? 'no plan')
    expect(summary).toMatch(/Release preview/)
    expect(summary).toMatch(/demo-cli/)
    expect(captured.annotations).toEqual([])
  })

  it("uploads this action's facts file with the record: a skipped rehearsal's artifact says so", async () => {
    const ws = sandbox.copyFixture(resolve('examples/demo'), 'demo-skip')
    const captured: Captured = {
      uploads: [],
      restores: [],
      state: new Map(),
      summary: [],
      annotations: [],
      statuses: []
    }
    const env = {
      ACTIONS_RUNTIME_TOKEN: 'runtime-token',
      ACTIONS_RESULTS_URL: 'http://127.0.0.1:9/',
      GITHUB_REPOSITORY: 'octo/widgets',
      GITHUB_RUN_ID: '78',
      GITHUB_STEP_SUMMARY: join(sandbox.root, 'summary-skip.md'),
      GITHUB_WORKSPACE: ws,
      RUNNER_TEMP: sandbox.root
    }
    const options = testOptions(join(ws, 'Cargo.toml'), {
      targetRegistry: 'live',
      targetRegistryUrl: live.url,
      skipRehearsal: true
    })

    const result = await runInWorkflow(
      options,
      testContext(sandbox.env, systemClock),
      fakes(env, captured)
    )

    expect(result.outcome).toBe('skipped')
    const stateDir = join(ws, '.shipper')
    expect(captured.uploads.map(u => u.files)).toEqual([
      [join(stateDir, 'events.jsonl'), join(stateDir, 'rehearse-events.jsonl')]
    ])
    expect(readFileSync(join(stateDir, 'rehearse-events.jsonl'), 'utf8')).toContain(
      '"type":"rehearsal_bypassed"'
    )
  })

  it('stops before anything is rehearsed when a cycle-closing dev-dependency has no version on the live registry', async () => {
    const ws = sandbox.copyFixture(resolve('__tests__/fixtures/rehearse/cycle'), 'cycle')
    const captured: Captured = {
      uploads: [],
      restores: [],
      state: new Map(),
      summary: [],
      annotations: [],
      statuses: []
    }
    const options = testOptions(join(ws, 'Cargo.toml'), {
      targetRegistry: 'live',
      targetRegistryUrl: live.url
    })
    await expect(
      runInWorkflow(options, testContext(sandbox.env, systemClock), fakes({}, captured))
    ).rejects.toThrow(/serderive dev-depends on sercore \^?0\.1.*none matches/)
    expect(captured.uploads).toEqual([])
    expect(live.faults.uploads()).toEqual({})
  })
})
