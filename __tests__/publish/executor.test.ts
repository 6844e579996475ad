import { describe, expect, it } from '@jest/globals'
import { fakeClock } from '../../src/clock.js'
import type { PlannedCrate } from '../../src/plan/types.js'
import { executePlan, type ExecutorSettings, type LivePort } from '../../src/publish/executor.js'
import type { EventType } from '../../src/record/events.js'
import type { IndexEntry } from '../../src/sparse/client.js'

/** What one `cargo publish` does in the fake registry. */
type Step =
  | { kind: 'ok' }
  /** cargo fails with this stderr; `stored` = the registry kept the upload anyway. */
  | { kind: 'fail'; stderr: string; stored?: boolean }

const STATUS_503 =
  'error: failed to publish to registry at http://x\n\nCaused by:\n  failed to get a 200 OK response, got 503\n'
const DROPPED = 'error: failed to publish\n\nCaused by:\n  [52] Empty reply from server\n'
const PERMANENT_400 =
  'error: failed to publish to registry at http://x\n\nCaused by:\n  the remote server responded with an error (status 400 Bad Request): missing field description\n'
const UNKNOWN = 'error: something nobody has seen before\n'

function rateLimited(retryAfterSeconds: number): string {
  return `error: failed to publish\n\nCaused by:\n  failed to get a 200 OK response, got 429\n  headers:\n    HTTP/1.1 429 Too Many Requests\n    Retry-After: ${retryAfterSeconds}\n\n  body:\n  slow down\n`
}

function crate(name: string, level: number, dependencies: string[] = []): PlannedCrate {
  return {
    name,
    version: '1.0.0',
    level,
    manifestPath: `/ws/${name}/Cargo.toml`,
    dependencies,
    bins: [],
    hasLib: true
  }
}

/** A registry in memory: versions per crate, scripted upload answers, and index lag in polls. */
class FakeLive implements LivePort {
  readonly index = new Map<string, string[]>()
  readonly uploads: string[] = []
  readonly tokens: (string | undefined)[] = []
  readonly order: string[] = []
  inFlight = 0
  maxInFlight = 0
  /** Polls a new version stays invisible for. */
  lagPolls = 0
  private readonly lag = new Map<string, number>()
  private readonly script = new Map<string, Step[]>()
  indexFailures = 0

  constructor(private readonly clock: { now(): number; sleep(ms: number): Promise<void> }) {}

  on(name: string, ...steps: Step[]): this {
    this.script.set(name, steps)
    return this
  }

  private store(name: string, version: string) {
    this.index.set(name, [...(this.index.get(name) ?? []), version])
    this.lag.set(`${name}@${version}`, this.lagPolls)
  }

  private visible(name: string): IndexEntry[] | null {
    const versions = (this.index.get(name) ?? []).filter(
      v => (this.lag.get(`${name}@${v}`) ?? 0) <= 0
    )
    if (!this.index.has(name)) return null
    return versions.map(vers => ({
      name,
      vers,
      deps: [],
      cksum: 'c'.repeat(64),
      features: {},
      yanked: false
    }))
  }

  async entries(name: string) {
    if (this.indexFailures > 0) {
      this.indexFailures -= 1
      throw new Error('index answered 502')
    }
    return this.visible(name)
  }

  async upload(c: PlannedCrate, token: string | undefined) {
    this.inFlight += 1
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    this.order.push(c.name)
    this.tokens.push(token)
    await Promise.resolve()
    await new Promise(resolve => setImmediate(resolve))
    this.inFlight -= 1
    const step = this.script.get(c.name)?.shift() ?? { kind: 'ok' }
    const command = `cargo publish -p ${c.name} --no-verify`
    if (step.kind === 'ok' || step.stored) {
      this.uploads.push(`${c.name}@${c.version}`)
      this.store(c.name, c.version)
    }
    if (step.kind === 'ok')
      return { exitCode: 0, stdout: '', stderr: `Uploaded ${c.name}`, command }
    return { exitCode: 101, stdout: '', stderr: step.stderr, command }
  }

  async waitVisible(
    name: string,
    version: string,
    timeoutMs: number,
    onPoll: (a: number, v: boolean) => void
  ) {
    const start = this.clock.now()
    for (let attempt = 1; ; attempt++) {
      const key = `${name}@${version}`
      const left = this.lag.get(key)
      if (left !== undefined && left > 0) this.lag.set(key, left - 1)
      const visible = Boolean(this.visible(name)?.some(e => e.vers === version))
      onPoll(attempt, visible)
      if (visible) return { visible, attempts: attempt, durationMs: this.clock.now() - start }
      if (this.clock.now() - start >= timeoutMs)
        return { visible, attempts: attempt, durationMs: this.clock.now() - start }
      await this.clock.sleep(Math.min(1000, timeoutMs - (this.clock.now() - start)))
    }
  }
}

const SETTINGS: ExecutorSettings = {
  maxConcurrency: 4,
  maxAttempts: 6,
  readinessTimeoutMs: 60_000,
  retryBaseMs: 1000,
  retryMaxMs: 60_000,
  reconcileWindowMs: 10_000
}

function harness(settings: Partial<ExecutorSettings> = {}) {
  const clock = fakeClock()
  const live = new FakeLive(clock)
  const events: { type: string; pkg: string; event: EventType }[] = []
  const progress: string[] = []
  let tokenCalls = 0
  const run = (crates: PlannedCrate[]) =>
    executePlan(
      crates,
      { ...SETTINGS, ...settings },
      {
        live,
        events: {
          append: async (event, pkg) => void events.push({ type: event.type, pkg, event })
        },
        clock,
        random: () => 0.5,
        token: async () => `token-${++tokenCalls}`,
        scrub: text => text,
        progress: line => void progress.push(line)
      }
    )
  const typesOf = (pkg: string) => events.filter(e => e.pkg === pkg).map(e => e.type)
  return { clock, live, events, progress, run, typesOf }
}

describe('executePlan', () => {
  it('publishes a crate only after each of its dependencies is visible', async () => {
    const h = harness()
    const result = await h.run([crate('a', 0), crate('b', 0), crate('c', 1, ['a', 'b'])])
    expect(result.stoppedBy).toBeUndefined()
    expect(result.runs.map(r => [r.crate.name, r.status, r.uploaded, r.attempts])).toEqual([
      ['a', 'published', true, 1],
      ['b', 'published', true, 1],
      ['c', 'published', true, 1]
    ])
    expect(h.live.order.indexOf('c')).toBe(2)
    const cStarted = h.events.findIndex(e => e.pkg === 'c@1.0.0' && e.type === 'package_started')
    const lastLevel0 = Math.max(
      ...h.events.flatMap((e, i) =>
        e.type === 'package_published' && e.pkg !== 'c@1.0.0' ? [i] : []
      )
    )
    expect(cStarted).toBeGreaterThan(lastLevel0)
    expect(h.typesOf('a@1.0.0')).toEqual([
      'package_started',
      'package_attempted',
      'package_output',
      'package_uploaded',
      'readiness_started',
      'readiness_poll',
      'readiness_complete',
      'package_published'
    ])
  })

  it('starts a dependent as soon as its own dependency is visible, while another branch retries', async () => {
    const h = harness()
    h.live.on('a', { kind: 'fail', stderr: STATUS_503 }, { kind: 'fail', stderr: STATUS_503 })
    const result = await h.run([
      crate('a', 0),
      crate('b', 0),
      crate('a2', 1, ['a']),
      crate('b2', 1, ['b'])
    ])
    expect(result.runs.map(r => r.status)).toEqual(Array(4).fill('published'))
    const at = (pkg: string, type: string) =>
      h.events.findIndex(e => e.pkg === pkg && e.type === type)
    expect(at('b2@1.0.0', 'package_started')).toBeLessThan(at('a@1.0.0', 'package_published'))
    expect(at('a2@1.0.0', 'package_started')).toBeGreaterThan(at('a@1.0.0', 'package_published'))
  })

  it('keeps at most max-concurrency uploads in flight', async () => {
    const h = harness({ maxConcurrency: 2 })
    await h.run(['a', 'b', 'c', 'd', 'e'].map(n => crate(n, 0)))
    expect(h.live.uploads).toHaveLength(5)
    expect(h.live.maxInFlight).toBe(2)
  })

  it('skips a version the live index already lists, so a rerun continues a partial release', async () => {
    const h = harness()
    h.live.index.set('a', ['1.0.0'])
    const result = await h.run([crate('a', 0), crate('b', 1, ['a'])])
    expect(result.runs.map(r => [r.crate.name, r.status, r.uploaded, r.reason ?? ''])).toEqual([
      ['a', 'skipped', false, 'already published'],
      ['b', 'published', true, '']
    ])
    expect(h.live.uploads).toEqual(['b@1.0.0'])
    expect(h.typesOf('a@1.0.0')).toEqual(['package_started', 'package_skipped'])
  })

  it('retries two 503s with backoff and checks the index before each new upload', async () => {
    const h = harness()
    h.live.on('a', { kind: 'fail', stderr: STATUS_503 }, { kind: 'fail', stderr: STATUS_503 })
    const result = await h.run([crate('a', 0)])
    expect(result.runs[0]).toMatchObject({ status: 'published', attempts: 3, uploaded: true })
    expect(h.live.uploads).toEqual(['a@1.0.0'])
    // Equal jitter with random 0.5: 3/4 of base * 2^(attempt-1).
    expect(h.clock.sleeps.slice(0, 2)).toEqual([750, 1500])
    const types = h.typesOf('a@1.0.0')
    expect(types.filter(t => t === 'retry_scheduled')).toHaveLength(2)
    expect(types.filter(t => t === 'publish_reconciling')).toHaveLength(2)
    const retry = h.events.find(e => e.type === 'retry_scheduled')!.event
    expect(retry).toMatchObject({ attempt: 1, max_attempts: 6, delay_ms: 750, reason: 'retryable' })
  })

  it('honours Retry-After on a 429 and records the rate limit', async () => {
    const h = harness()
    h.live.index.set('a', ['0.9.0'])
    h.live.on('a', { kind: 'fail', stderr: rateLimited(90) })
    const result = await h.run([crate('a', 0)])
    expect(result.runs[0]).toMatchObject({ status: 'published', attempts: 2 })
    expect(h.clock.sleeps[0]).toBe(90_000)
    const limit = h.events.find(e => e.type === 'rate_limit_observed')!.event
    expect(limit).toEqual({
      type: 'rate_limit_observed',
      is_new_crate: false,
      retry_after_ms: 90_000,
      message: 'rate limited by the registry (HTTP 429)'
    })
    // A 429 is a clean refusal: nothing to reconcile.
    expect(h.typesOf('a@1.0.0')).not.toContain('publish_reconciling')
  })

  it('waits at least the 10-minute new-crate window after a 429 on a brand-new crate', async () => {
    const h = harness()
    h.live.on('a', { kind: 'fail', stderr: rateLimited(5) })
    await h.run([crate('a', 0)])
    expect(h.clock.sleeps[0]).toBe(600_000)
    expect(h.events.find(e => e.type === 'rate_limit_observed')!.event).toMatchObject({
      is_new_crate: true
    })
  })

  it('reconciles an upload that was stored but never answered instead of uploading it again', async () => {
    const h = harness()
    h.live.on('a', { kind: 'fail', stderr: DROPPED, stored: true })
    const result = await h.run([crate('a', 0), crate('b', 1, ['a'])])
    expect(result.runs.map(r => [r.crate.name, r.status, r.uploaded, r.attempts])).toEqual([
      ['a', 'published', true, 1],
      ['b', 'published', true, 1]
    ])
    expect(h.live.uploads).toEqual(['a@1.0.0', 'b@1.0.0'])
    expect(h.typesOf('a@1.0.0')).toEqual([
      'package_started',
      'package_attempted',
      'package_output',
      'publish_reconciling',
      'publish_reconciled',
      'package_published'
    ])
    expect(h.events.find(e => e.type === 'publish_reconciled')!.event).toMatchObject({
      outcome: {
        outcome: 'published',
        attempts: expect.any(Number),
        elapsed_ms: expect.any(Number)
      }
    })
  })

  it('looks at the index with patience after an unclear answer, because the index may lag', async () => {
    const h = harness()
    h.live.lagPolls = 3
    h.live.on('a', { kind: 'fail', stderr: UNKNOWN, stored: true })
    const result = await h.run([crate('a', 0)])
    expect(result.runs[0]).toMatchObject({ status: 'published', attempts: 1 })
    expect(h.live.uploads).toEqual(['a@1.0.0'])
  })

  it('uploads again after an unclear answer only when the index still lacks the version', async () => {
    const h = harness()
    h.live.on('a', { kind: 'fail', stderr: UNKNOWN })
    const result = await h.run([crate('a', 0)])
    expect(result.runs[0]).toMatchObject({ status: 'published', attempts: 2 })
    expect(h.live.uploads).toEqual(['a@1.0.0'])
    expect(h.events.find(e => e.type === 'publish_reconciled')!.event).toMatchObject({
      outcome: { outcome: 'not_published', elapsed_ms: 10_000 }
    })
    // The whole reconcile window was spent looking before the second upload.
    expect(h.clock.sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10_000)
  })

  it('stops the plan on a permanent failure: in-flight crates finish, dependents stay pending', async () => {
    const h = harness()
    h.live.on('b', { kind: 'fail', stderr: PERMANENT_400 })
    const result = await h.run([crate('a', 0), crate('b', 0), crate('c', 1, ['a', 'b'])])
    expect(result.stoppedBy?.crate.name).toBe('b')
    expect(result.runs.map(r => [r.crate.name, r.status])).toEqual([
      ['a', 'published'],
      ['b', 'failed'],
      ['c', 'pending']
    ])
    expect(result.runs[1]!.failure).toMatchObject({ class: 'permanent' })
    expect(result.runs[1]!.failure?.stderrTail).toContain('missing field description')
    expect(h.live.uploads).toEqual(['a@1.0.0'])
    expect(h.typesOf('b@1.0.0')).toContain('package_failed')
    expect(h.clock.sleeps).toEqual([])
  })

  it('gives up on a transient failure after max-attempts', async () => {
    const h = harness({ maxAttempts: 3 })
    h.live.on(
      'a',
      ...Array.from({ length: 5 }, () => ({ kind: 'fail' as const, stderr: STATUS_503 }))
    )
    const result = await h.run([crate('a', 0)])
    expect(result.runs[0]).toMatchObject({ status: 'failed', attempts: 3, uploaded: false })
    expect(result.runs[0]!.failure?.message).toMatch(/gave up after 3 attempts/)
    expect(h.events.filter(e => e.type === 'retry_scheduled')).toHaveLength(2)
  })

  it('waits out index lag after a successful upload', async () => {
    const h = harness()
    h.live.lagPolls = 4
    const result = await h.run([crate('a', 0)])
    expect(result.runs[0]).toMatchObject({ status: 'published' })
    const polls = h.events.filter(e => e.type === 'readiness_poll').map(e => e.event)
    expect(polls.map(p => (p as { visible: boolean }).visible)).toEqual([false, false, false, true])
  })

  it('fails a crate that never becomes visible, and stops before its dependents', async () => {
    const h = harness({ readinessTimeoutMs: 5000 })
    h.live.lagPolls = 1000
    const result = await h.run([crate('a', 0), crate('b', 1, ['a'])])
    expect(result.runs.map(r => [r.crate.name, r.status, r.uploaded])).toEqual([
      ['a', 'failed', true],
      ['b', 'pending', false]
    ])
    expect(h.typesOf('a@1.0.0')).toContain('readiness_timeout')
  })

  it('retries when the live index cannot be read, without counting an upload', async () => {
    const h = harness()
    h.live.indexFailures = 2
    const result = await h.run([crate('a', 0)])
    expect(result.runs[0]).toMatchObject({ status: 'published', attempts: 1 })
    expect(h.events.filter(e => e.type === 'retry_scheduled')).toHaveLength(2)
  })

  it('asks for the token before every upload, so a re-minted token is used', async () => {
    const h = harness()
    h.live.on('a', { kind: 'fail', stderr: STATUS_503 })
    await h.run([crate('a', 0)])
    expect(h.live.tokens).toEqual(['token-1', 'token-2'])
  })

  it('fails the crate when no token can be had, uploading nothing', async () => {
    const clock = fakeClock()
    const live = new FakeLive(clock)
    const result = await executePlan([crate('a', 0)], SETTINGS, {
      live,
      events: { append: async () => undefined },
      clock,
      random: () => 0.5,
      token: async () => {
        throw new Error('the registry refused to exchange the OIDC token')
      },
      scrub: t => t,
      progress: () => undefined
    })
    expect(result.runs[0]).toMatchObject({ status: 'failed', attempts: 0 })
    expect(live.uploads).toEqual([])
  })

  it('treats a version that appears under someone else as skipped, not as ours', async () => {
    const h = harness()
    h.live.index.set('a', ['0.1.0'])
    const alreadyThere = 'error: crate a@1.0.0 already exists on `live` index\n'
    h.live.on('a', { kind: 'fail', stderr: alreadyThere })
    // The index lists it only once the "already exists" answer came.
    const upload = h.live.upload.bind(h.live)
    h.live.upload = async (c, t) => {
      const r = await upload(c, t)
      h.live.index.set('a', ['0.1.0', '1.0.0'])
      return r
    }
    const result = await h.run([crate('a', 0)])
    expect(result.runs[0]).toMatchObject({ status: 'skipped', uploaded: false })
    expect(result.runs[0]!.reason).toMatch(/not uploaded by it/)
  })
})
