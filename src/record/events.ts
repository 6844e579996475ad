import { mkdir, open, readFile, stat, type FileHandle } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { systemClock, type Clock } from '../clock.js'
import { FACT_FIELDS, FACTS_FILE, factTypeSchema, isFact, type FactType } from './facts.js'
import { scrubDeep } from './scrub.js'
import {
  SHIPPER_EVENT_FIELDS,
  shipperEventTypeSchema,
  shipperReadSchema,
  type ShipperEventType
} from './shipper-events.js'
import { duplicateKey } from './json.js'

/**
 * What a run records: shipper's variants go to events.jsonl, this action's facts to the file
 * beside it (facts.ts). Callers append both through one EventLog and never choose the file.
 */
export type EventType = ShipperEventType | FactType
export type EventTypeName = EventType['type']
/** The variant of EventType whose `type` is `T`. */
export type EventOf<T extends EventTypeName> = Extract<EventType, { type: T }>

/** `type` first, then the variant's fields in on-disk order, for both files. */
export const EVENT_FIELDS: Readonly<Record<string, readonly string[]>> = {
  ...SHIPPER_EVENT_FIELDS,
  ...FACT_FIELDS
}

const envelope = { timestamp: z.string(), package: z.string() }

/** One line of events.jsonl as read: shipper's envelope around one of its variants. */
export const eventSchema = z.object({
  timestamp: envelope.timestamp,
  event_type: shipperEventTypeSchema,
  package: envelope.package
})
export type Event = z.infer<typeof eventSchema>

/** One line of the facts file. */
export const factSchema = z.object({
  timestamp: envelope.timestamp,
  event_type: factTypeSchema,
  package: envelope.package
})
export type Fact = z.infer<typeof factSchema>

/** shipper's event log file name, in the state dir. */
export const EVENTS_FILE = 'events.jsonl'

/** The `package` value of run-level events. */
export const ALL_PACKAGES = 'all'

/** `name@version`, the `package` value of package events. */
export function packageKey(name: string, version: string): string {
  return `${name}@${version}`
}

/**
 * Validates an event against its file's schema and rebuilds it key by key in on-disk order; zod
 * also orders nested objects by their shape, so the caller's key order never reaches the file.
 */
function canonicalEventType(eventType: EventType): Record<string, unknown> {
  const schema = isFact(eventType) ? factTypeSchema : shipperEventTypeSchema
  const parsed = schema.parse(eventType) as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const key of EVENT_FIELDS[eventType.type]!) {
    if (parsed[key] !== undefined) out[key] = parsed[key]
  }
  return out
}

/** One serialized line of events.jsonl (or of the facts file), `\n` included. */
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

/** The facts file that goes with an events.jsonl: same directory. */
export function factsPathFor(eventsPath: string): string {
  return join(dirname(eventsPath), FACTS_FILE)
}

/**
 * The append-only record of a run: shipper's variants to events.jsonl, this action's facts to the
 * facts file beside it (created on the first fact). Every line is one write followed by an fsync.
 */
export class EventLog {
  private tail: Promise<void> = Promise.resolve()
  private closed = false
  private readonly secrets: string[] = []
  private factsHandle?: Promise<FileHandle>
  readonly factsPath: string

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly clock: Clock
  ) {
    this.factsPath = factsPathFor(path)
  }

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
    const target = isFact(eventType) ? () => this.facts() : async () => this.handle
    const written = this.tail.then(async () => writeLine(await target(), line))
    this.tail = written.catch(() => undefined)
    return written
  }

  /** Waits for pending appends, then closes the files. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.tail
    await this.handle.close()
    const facts = await this.factsHandle?.catch(() => undefined)
    await facts?.close()
  }

  private facts(): Promise<FileHandle> {
    this.factsHandle ??= open(this.factsPath, 'a')
    return this.factsHandle
  }
}

async function writeLine(handle: FileHandle, line: string): Promise<void> {
  const bytes = Buffer.from(line, 'utf8')
  let offset = 0
  // A regular file takes the whole buffer in one write; the loop only matters on a short
  // write (disk nearly full), which must not leave half a line behind silently.
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset)
    offset += bytesWritten
  }
  await handle.sync()
}

export interface ReadResult<T> {
  events: T[]
  /** 1-based numbers of lines that were not a valid event of a known type. */
  badLines: number[]
  /** 1-based numbers of lines with a key twice in one object (never read as an event). */
  duplicateKeyLines: number[]
  /** True when the file does not exist (events and badLines are then empty). */
  missing: boolean
  /** Set (in bytes) when the file is over MAX_EVENTS_BYTES: it is then not read at all. */
  oversized?: number
}
export type ReadEventsResult = ReadResult<Event>

/**
 * The largest event file read: a real run writes a few KiB per crate, so 64 MiB is thousands
 * of releases; beyond it the file is refused rather than read into one string.
 */
export const MAX_EVENTS_BYTES = 64 * 1024 * 1024

/**
 * Reads events.jsonl as leniently as shipper writes it: variants shipper may add later are
 * skipped, a `package_attempted` without `max_attempts` reads as 0, timestamps keep whatever
 * precision they have, and lines that are not valid events are reported by number instead of
 * failing the read.
 */
export function readEvents(path: string, maxBytes = MAX_EVENTS_BYTES): Promise<ReadEventsResult> {
  return readLines(
    path,
    type => {
      const schema = shipperReadSchema(type)
      return schema && z.object({ ...envelope, event_type: schema })
    },
    maxBytes
  ) as Promise<ReadEventsResult>
}

/** Reads the facts file the same way. */
export function readFacts(path: string, maxBytes = MAX_EVENTS_BYTES): Promise<ReadResult<Fact>> {
  return readLines(
    path,
    type => (type in FACT_FIELDS ? factSchema : undefined),
    maxBytes
  ) as Promise<ReadResult<Fact>>
}

async function readLines(
  path: string,
  schemaFor: (type: string) => z.ZodType | undefined,
  maxBytes: number
): Promise<ReadResult<unknown>> {
  let text: string
  try {
    const size = (await stat(path)).size
    if (size > maxBytes) {
      return { events: [], badLines: [], duplicateKeyLines: [], missing: false, oversized: size }
    }
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { events: [], badLines: [], duplicateKeyLines: [], missing: true }
    }
    throw error
  }
  const events: unknown[] = []
  const badLines: number[] = []
  const duplicateKeyLines: number[] = []
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return
    const parsed = parseLine(line, schemaFor)
    if (parsed.kind === 'event') events.push(parsed.value)
    else if (parsed.kind === 'bad') badLines.push(index + 1)
    else if (parsed.kind === 'duplicate') duplicateKeyLines.push(index + 1)
  })
  return { events, badLines, duplicateKeyLines, missing: false }
}

function parseLine(
  line: string,
  schemaFor: (type: string) => z.ZodType | undefined
): { kind: 'unknown' | 'bad' | 'duplicate' } | { kind: 'event'; value: unknown } {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return { kind: 'bad' }
  }
  if (duplicateKey(line) !== undefined) return { kind: 'duplicate' }
  const type = (value as { event_type?: { type?: unknown } } | null)?.event_type?.type
  if (typeof type !== 'string') return { kind: 'bad' }
  const schema = schemaFor(type)
  if (!schema) return { kind: 'unknown' }
  const result = schema.safeParse(value)
  return result.success ? { kind: 'event', value: result.data } : { kind: 'bad' }
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
