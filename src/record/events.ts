import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'
import { z } from 'zod'
import { systemClock, type Clock } from '../clock.js'
import { scrubDeep } from './scrub.js'

/** The event log's file name in the state dir, for both modes. */
export const EVENTS_FILE = 'events.jsonl'

const count = z.number().int().nonnegative()
const errorClass = z.enum(['retryable', 'permanent', 'ambiguous'])

/**
 * One schema per event variant. The shape's key order IS the on-disk field order (FORMATS.md),
 * so never reorder the keys below.
 */
function variant<T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.object({ type: z.literal(type), ...shape })
}

// Rehearsal events (shipper's names and field order).
export const rehearsalStartedEvent = variant('rehearsal_started', {
  registry: z.string(),
  plan_id: z.string(),
  package_count: count
})
export const registryPolicyAppliedEvent = variant('registry_policy_applied', {
  evidence: z.object({
    posture: z.string(),
    allow_private: z.boolean(),
    allow_loopback: z.boolean(),
    /** `scheme://host:port` */
    credential_authority: z.string().nullable(),
    /** `scheme://host:port` */
    index_authority: z.string().nullable()
  })
})
export const rehearsalPackagePublishedEvent = variant('rehearsal_package_published', {
  name: z.string(),
  version: z.string(),
  duration_ms: count
})
export const rehearsalPackageFailedEvent = variant('rehearsal_package_failed', {
  name: z.string(),
  version: z.string(),
  class: errorClass,
  message: z.string()
})
export const rehearsalSmokeCheckStartedEvent = variant('rehearsal_smoke_check_started', {
  name: z.string(),
  version: z.string(),
  registry: z.string()
})
export const rehearsalSmokeCheckSucceededEvent = variant('rehearsal_smoke_check_succeeded', {
  name: z.string(),
  version: z.string(),
  duration_ms: count
})
export const rehearsalSmokeCheckFailedEvent = variant('rehearsal_smoke_check_failed', {
  name: z.string(),
  version: z.string(),
  message: z.string()
})
export const rehearsalCompleteEvent = variant('rehearsal_complete', {
  passed: z.boolean(),
  registry: z.string(),
  plan_id: z.string(),
  summary: z.string()
})

// Events shipper has no word for.
export const rehearsalPackageSkippedEvent = variant('rehearsal_package_skipped', {
  name: z.string(),
  version: z.string(),
  reason: z.string()
})
export const rehearsalBypassedEvent = variant('rehearsal_bypassed', { reason: z.string() })
export const gateBypassedEvent = variant('gate_bypassed', {
  plan_id: z.string(),
  reason: z.string()
})
export const gateDecisionEvent = variant('gate_decision', {
  decision: z.enum(['proceed', 'refuse']),
  reason: z.string()
})

// Publish events (shipper's names and field order).
export const planCreatedEvent = variant('plan_created', {
  plan_id: z.string(),
  package_count: count
})
export const executionStartedEvent = variant('execution_started', {})
export const executionFinishedEvent = variant('execution_finished', {
  result: z.enum(['success', 'partial_failure', 'complete_failure'])
})
export const packageStartedEvent = variant('package_started', {
  name: z.string(),
  version: z.string()
})
export const packageAttemptedEvent = variant('package_attempted', {
  attempt: count,
  command: z.string(),
  max_attempts: count
})
export const packageOutputEvent = variant('package_output', {
  stdout_tail: z.string(),
  stderr_tail: z.string()
})
export const packageUploadedEvent = variant('package_uploaded', {})
export const packagePublishedEvent = variant('package_published', { duration_ms: count })
export const packageFailedEvent = variant('package_failed', {
  class: errorClass,
  message: z.string()
})
export const packageSkippedEvent = variant('package_skipped', { reason: z.string() })
export const retryScheduledEvent = variant('retry_scheduled', {
  attempt: count,
  max_attempts: count,
  delay_ms: count,
  /** RFC 3339 UTC */
  next_attempt_at: z.string(),
  reason: z.string(),
  message: z.string()
})
export const rateLimitObservedEvent = variant('rate_limit_observed', {
  is_new_crate: z.boolean(),
  retry_after_ms: count.nullable(),
  message: z.string()
})
export const publishReconcilingEvent = variant('publish_reconciling', {
  method: z.enum(['api', 'index', 'both'])
})
export const publishReconciledEvent = variant('publish_reconciled', { outcome: z.string() })
export const readinessStartedEvent = variant('readiness_started', { method: z.string() })
export const readinessPollEvent = variant('readiness_poll', {
  attempt: count,
  visible: z.boolean()
})
export const readinessCompleteEvent = variant('readiness_complete', {
  duration_ms: count,
  attempts: count
})
export const readinessTimeoutEvent = variant('readiness_timeout', { max_wait_ms: count })
export const authEvidenceRecordedEvent = variant('auth_evidence_recorded', {
  evidence: z.record(z.string(), z.unknown())
})

const VARIANTS = [
  rehearsalStartedEvent,
  registryPolicyAppliedEvent,
  rehearsalPackagePublishedEvent,
  rehearsalPackageFailedEvent,
  rehearsalSmokeCheckStartedEvent,
  rehearsalSmokeCheckSucceededEvent,
  rehearsalSmokeCheckFailedEvent,
  rehearsalCompleteEvent,
  rehearsalPackageSkippedEvent,
  rehearsalBypassedEvent,
  gateBypassedEvent,
  gateDecisionEvent,
  planCreatedEvent,
  executionStartedEvent,
  executionFinishedEvent,
  packageStartedEvent,
  packageAttemptedEvent,
  packageOutputEvent,
  packageUploadedEvent,
  packagePublishedEvent,
  packageFailedEvent,
  packageSkippedEvent,
  retryScheduledEvent,
  rateLimitObservedEvent,
  publishReconcilingEvent,
  publishReconciledEvent,
  readinessStartedEvent,
  readinessPollEvent,
  readinessCompleteEvent,
  readinessTimeoutEvent,
  authEvidenceRecordedEvent
] as const

export const eventTypeSchema = z.discriminatedUnion('type', VARIANTS)
export type EventType = z.infer<typeof eventTypeSchema>
export type EventTypeName = EventType['type']
/** The variant of EventType whose `type` is `T`. */
export type EventOf<T extends EventTypeName> = Extract<EventType, { type: T }>

/** `type` first, then the variant's fields in spec order, listed once per variant. */
export const EVENT_FIELDS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  VARIANTS.map(schema => [schema.shape.type.value, Object.keys(schema.shape)])
)
const KNOWN_TYPES = new Set(Object.keys(EVENT_FIELDS))

export const eventSchema = z.object({
  timestamp: z.string(),
  event_type: eventTypeSchema,
  package: z.string()
})
export type Event = z.infer<typeof eventSchema>

/** The `package` value of run-level events. */
export const ALL_PACKAGES = 'all'

/** `name@version`, the `package` value of package events. */
export function packageKey(name: string, version: string): string {
  return `${name}@${version}`
}

/**
 * Validates an event and rebuilds it key by key in canonical order; zod also orders nested
 * objects by their shape, so the caller's key order never reaches the file.
 */
function canonicalEventType(eventType: EventType): Record<string, unknown> {
  const parsed = eventTypeSchema.parse(eventType) as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const key of EVENT_FIELDS[eventType.type]!) out[key] = parsed[key]
  return out
}

/** One serialized line of events.jsonl, `\n` included. */
export function serializeEvent(
  timestamp: string,
  eventType: EventType,
  pkg: string,
  secrets: readonly string[] = []
): string {
  const event = {
    timestamp,
    event_type: scrubDeep(canonicalEventType(eventType), secrets),
    package: pkg
  }
  return `${JSON.stringify(event)}\n`
}

/** The append-only events.jsonl writer: every event is one write followed by an fsync. */
export class EventLog {
  private tail: Promise<void> = Promise.resolve()
  private closed = false
  private readonly secrets: string[] = []

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly clock: Clock
  ) {}

  static async open(path: string, clock: Clock = systemClock): Promise<EventLog> {
    await mkdir(dirname(path), { recursive: true })
    const handle = await open(path, 'a')
    return new EventLog(path, handle, clock)
  }

  /** Masks `value` in every event appended from now on. */
  addSecret(value: string): void {
    if (value) this.secrets.push(value)
  }

  /**
   * Appends one event. Appends run one after another in call order, so concurrent callers
   * never interleave bytes; a failed append rejects its own promise without blocking later ones.
   */
  append(eventType: EventType, pkg: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`event log ${this.path} is closed`))
    let line: string
    try {
      line = serializeEvent(new Date(this.clock.now()).toISOString(), eventType, pkg, this.secrets)
    } catch (error) {
      return Promise.reject(error)
    }
    const written = this.tail.then(() => this.writeLine(line))
    this.tail = written.catch(() => undefined)
    return written
  }

  /** Waits for pending appends, then closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.tail
    await this.handle.close()
  }

  private async writeLine(line: string): Promise<void> {
    const bytes = Buffer.from(line, 'utf8')
    let offset = 0
    // A regular file takes the whole buffer in one write; the loop only matters on a short
    // write (disk nearly full), which must not leave half a line behind silently.
    while (offset < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, offset, bytes.length - offset)
      offset += bytesWritten
    }
    await this.handle.sync()
  }
}

export interface ReadEventsResult {
  events: Event[]
  /** 1-based numbers of lines that were not a valid event of a known type. */
  badLines: number[]
  /** True when the file does not exist (events and badLines are then empty). */
  missing: boolean
}

/**
 * Reads events.jsonl leniently: unknown `type` values are skipped (shipper may add events), and
 * lines that are not valid events are reported by number instead of failing the read.
 */
export async function readEvents(path: string): Promise<ReadEventsResult> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { events: [], badLines: [], missing: true }
    }
    throw error
  }
  const events: Event[] = []
  const badLines: number[] = []
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return
    const parsed = parseLine(line)
    if (parsed === 'unknown') return
    if (parsed === 'bad') badLines.push(index + 1)
    else events.push(parsed)
  })
  return { events, badLines, missing: false }
}

function parseLine(line: string): Event | 'unknown' | 'bad' {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return 'bad'
  }
  const type = (value as { event_type?: { type?: unknown } } | null)?.event_type?.type
  if (typeof type !== 'string') return 'bad'
  if (!KNOWN_TYPES.has(type)) return 'unknown'
  const result = eventSchema.safeParse(value)
  return result.success ? result.data : 'bad'
}

/** The last `rehearsal_complete` event, the one the gate compares a receipt against. */
export function lastRehearsalComplete(
  events: readonly Event[]
): EventOf<'rehearsal_complete'> | null {
  for (let i = events.length - 1; i >= 0; i--) {
    const eventType = events[i]!.event_type
    if (eventType.type === 'rehearsal_complete') return eventType
  }
  return null
}
