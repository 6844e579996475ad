/**
 * Fault injection for tests and benchmarks (README, "Fault injection"): reachable only through
 * the `faults` handle `startRegistry()` returns, never from `registry serve`. Every knob is keyed
 * by crate name (case-insensitive) and inert until set; the HTTP layer asks it before answering.
 */
import type { Clock } from '../clock.js'
import type { FailSpec, FaultInjector } from './types.js'

export type FaultTarget = 'publish' | 'index' | 'download'

/** A canned answer the HTTP layer sends instead of the real one. */
export interface InjectedResponse {
  status: number
  headers: Record<string, string>
  body: string
}

const key = (name: string, version?: string) =>
  version === undefined ? name.toLowerCase() : `${name.toLowerCase()}@${version}`

function retryAfterHeader(value: FailSpec['retryAfter']): string | undefined {
  if (value === undefined) return undefined
  if (value instanceof Date) return value.toUTCString()
  return String(value)
}

export function injectedResponse(spec: FailSpec): InjectedResponse {
  const headers: Record<string, string> = {}
  const retryAfter = retryAfterHeader(spec.retryAfter)
  if (retryAfter !== undefined) headers['retry-after'] = retryAfter
  if (typeof spec.body === 'string') {
    headers['content-type'] = 'text/plain; charset=utf-8'
    return { status: spec.status, headers, body: spec.body }
  }
  headers['content-type'] = 'application/json'
  const body = spec.body ?? {
    errors: [{ detail: `injected failure (status ${spec.status})` }]
  }
  return { status: spec.status, headers, body: JSON.stringify(body) }
}

export class Faults implements FaultInjector {
  private readonly delays = new Map<string, number>()
  private readonly hidden = new Set<string>()
  private readonly failures = new Map<string, { spec: FailSpec; left: number }>()
  private readonly drops = new Map<string, number>()
  private readonly published = new Map<string, number>()
  private readonly stored = new Map<string, number>()

  constructor(private readonly clock: Clock) {}

  delayIndex(name: string, version: string, ms: number): void {
    this.delays.set(key(name, version), ms)
  }

  hideIndex(name: string, version: string): void {
    this.hidden.add(key(name, version))
  }

  failPublish(name: string, spec: FailSpec): void {
    this.failures.set(`publish:${key(name)}`, { spec, left: spec.times })
  }

  failIndex(name: string, spec: FailSpec): void {
    this.failures.set(`index:${key(name)}`, { spec, left: spec.times })
  }

  failDownload(name: string, spec: FailSpec): void {
    this.failures.set(`download:${key(name)}`, { spec, left: spec.times })
  }

  dropAfterStore(name: string, times = 1): void {
    this.drops.set(key(name), times)
  }

  uploads(): Record<string, number> {
    return Object.fromEntries(this.stored)
  }

  clear(): void {
    this.delays.clear()
    this.hidden.clear()
    this.failures.clear()
    this.drops.clear()
  }

  /** The failure to answer with now, if one is armed for this crate; consumes one use. */
  takeFailure(target: FaultTarget, name: string): InjectedResponse | undefined {
    const k = `${target}:${key(name)}`
    const armed = this.failures.get(k)
    if (!armed) return undefined
    armed.left -= 1
    if (armed.left <= 0) this.failures.delete(k)
    return injectedResponse(armed.spec)
  }

  /** Records a stored upload; true when the connection must now be dropped unanswered. */
  recordUpload(name: string, version: string): boolean {
    this.published.set(key(name, version), this.clock.now())
    this.stored.set(`${name}@${version}`, (this.stored.get(`${name}@${version}`) ?? 0) + 1)
    const left = this.drops.get(key(name))
    if (left === undefined) return false
    if (left <= 1) this.drops.delete(key(name))
    else this.drops.set(key(name), left - 1)
    return true
  }

  /**
   * Whether a listed version may be shown now. A delay counts from the moment this process stored
   * the upload, or from `pubtime` for versions stored before it started.
   */
  isVisible(name: string, version: string, pubtime: string | undefined): boolean {
    const k = key(name, version)
    if (this.hidden.has(k)) return false
    const delay = this.delays.get(k)
    if (delay === undefined) return true
    const since = this.published.get(k) ?? (pubtime ? Date.parse(pubtime) : Number.NaN)
    if (Number.isNaN(since)) return true
    return this.clock.now() >= since + delay
  }

  /** True when no visibility rule is set, so the index can be served without filtering. */
  get filtersIndex(): boolean {
    return this.delays.size > 0 || this.hidden.size > 0
  }
}
