import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ArtifactStore, DownloadResult } from '../../src/record/artifacts.js'
import type { Options } from '../../src/options/types.js'
import type { Event } from '../../src/record/events.js'
import { publishReceiptSchema, type PublishReceipt } from '../../src/record/receipt.js'
import { encodePublishBody, startRegistry } from '../../src/registry/index.js'
import type { EmbeddedRegistry, EmbeddedRegistryOptions } from '../../src/registry/types.js'
import { rehearse } from '../../src/rehearse/index.js'
import { readEventLines, readFactLines, testOptions } from '../helpers/options.js'
import { testContext } from '../helpers/context.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'publish')
export const LIVE_WS = join(FIXTURES, 'live-ws')
/** The fixture's crates in plan order. */
export const CRATES = ['shr-core', 'shr-util', 'shr-app'] as const

/** Options as the action's defaults give them, for a workspace publishing to registry `live`. */
export function publishOptions(
  manifestPath: string,
  liveUrl: string,
  overrides: Partial<Options> = {}
): Options {
  return testOptions(manifestPath, {
    mode: 'publish',
    targetRegistry: 'live',
    targetRegistryUrl: liveUrl,
    trustedPublishing: 'false',
    ...overrides
  })
}

export { testContext, type TestContext } from '../helpers/context.js'

/**
 * The workflow artifact service in memory: artifacts are folders of files copied on upload and
 * copied back on download. `runs` holds other runs' artifacts by run id.
 */
export class MemoryArtifacts implements ArtifactStore {
  readonly uploaded: { name: string; files: Map<string, Buffer> }[] = []
  readonly downloads: { name: string; runId?: number; token?: string; dest: string }[] = []
  readonly current = new Map<string, Map<string, Buffer>>()
  readonly runs = new Map<number, Map<string, Map<string, Buffer>>>()

  /** Stores the listed files of a folder as an artifact of the current run (or of `runId`). */
  put(name: string, root: string, files: string[], runId?: number): void {
    const content = new Map(
      files.filter(f => existsSync(join(root, f))).map(f => [f, readFileSync(join(root, f))])
    )
    if (runId === undefined) this.current.set(name, content)
    else this.runs.set(runId, new Map([...(this.runs.get(runId) ?? []), [name, content]]))
  }

  async upload(name: string, files: string[], root: string): Promise<{ id: number }> {
    const content = new Map(files.map(f => [relative(root, f), readFileSync(f)]))
    this.uploaded.push({ name, files: content })
    this.current.set(name, content)
    return { id: 1000 + this.uploaded.length }
  }

  async download(
    name: string,
    from: { runId?: number; token?: string },
    dest: string
  ): Promise<DownloadResult> {
    this.downloads.push({ name, ...from, dest })
    const artifact =
      from.runId === undefined ? this.current.get(name) : this.runs.get(from.runId)?.get(name)
    if (!artifact) return { kind: 'missing', message: `no artifact '${name}'` }
    for (const [path, bytes] of artifact) {
      mkdirSync(dirname(join(dest, path)), { recursive: true })
      writeFileSync(join(dest, path), bytes)
    }
    return { kind: 'downloaded', id: 42, path: dest }
  }
}

export function eventTypes(events: Event[], pkg?: string): string[] {
  return events.filter(e => pkg === undefined || e.package === pkg).map(e => e.event_type.type)
}

/**
 * A rehearsed copy of the fixture workspace and a "live" registry on a fixed port. Each test
 * copies the rehearsed workspace (sources and state dir) and publishes it to a fresh live
 * registry on the same port, so the plan_id, which includes the live API base, stays the one
 * that was rehearsed.
 */
export class RehearsedFixture {
  private copies = 0

  private constructor(
    readonly sandbox: CargoSandbox,
    public live: EmbeddedRegistry,
    readonly rehearsed: string
  ) {}

  static async create(prefix: string): Promise<RehearsedFixture> {
    const sandbox = cargoSandbox(prefix)
    const live = await startRegistry()
    const fixture = new RehearsedFixture(sandbox, live, sandbox.copyFixture(LIVE_WS, 'rehearsed'))
    const result = await rehearse(
      publishOptions(join(fixture.rehearsed, 'Cargo.toml'), live.url, { mode: 'rehearse' }),
      testContext(fixture.env())
    )
    if (result.outcome !== 'passed')
      throw new Error(`rehearsal failed: ${JSON.stringify(result.failure)}`)
    return fixture
  }

  /** The sandbox's cargo world, plus the live registry the manifests name. */
  env(): Record<string, string> {
    return { ...this.sandbox.env, CARGO_REGISTRIES_LIVE_INDEX: this.live.indexUrl }
  }

  async freshLive(options: EmbeddedRegistryOptions = {}): Promise<EmbeddedRegistry> {
    const port = this.live.port
    await this.live.close()
    this.live = await startRegistry({ ...options, port })
    return this.live
  }

  /** A copy of the rehearsed workspace, state dir included. */
  workspace(): string {
    const dest = join(this.sandbox.root, `ws-${++this.copies}`)
    cpSync(this.rehearsed, dest, { recursive: true })
    return dest
  }

  options(ws: string, overrides: Partial<Options> = {}): Options {
    return publishOptions(join(ws, 'Cargo.toml'), this.live.url, {
      token: this.live.token,
      ...overrides
    })
  }

  async close(): Promise<void> {
    await this.live.close()
    this.sandbox.cleanup()
  }
}

/** The events a publish run appended (the log also carries the rehearsal's, up to its end). */
export function afterGate(events: Event[]): Event[] {
  const types = events.map(e => e.event_type.type)
  return events.slice(types.lastIndexOf('rehearsal_complete') + 1)
}

export function receiptOf(ws: string): PublishReceipt {
  return publishReceiptSchema.parse(
    JSON.parse(readFileSync(join(ws, '.shipper', 'publish-record.json'), 'utf8'))
  )
}

export { readEventLines, readFactLines }

/**
 * Puts version 0.0.1 of a crate on a registry, as a first release made with a regular token did:
 * trusted publishing only publishes crates that exist already.
 */
export async function seedOlderVersion(registry: EmbeddedRegistry, name: string): Promise<void> {
  const metadata = {
    name,
    vers: '0.0.1',
    deps: [],
    features: {},
    authors: [],
    description: 'seed',
    license: 'MIT',
    keywords: [],
    categories: []
  }
  const response = await fetch(`${registry.url}/api/v1/crates/new`, {
    method: 'PUT',
    headers: { authorization: registry.token },
    body: encodePublishBody(metadata, Buffer.from(`seed ${name}`))
  })
  if (response.status !== 200) {
    throw new Error(`seeding ${name} answered ${response.status}: ${await response.text()}`)
  }
}
