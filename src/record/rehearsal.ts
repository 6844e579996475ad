import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { writeJsonAtomic } from './atomic.js'
import { describeIssue, parseJsonText, readJsonFile, type ReadRecord } from './json.js'
import { scrubDeep } from './scrub.js'

export const REHEARSAL_SCHEMA = 'shipper.rehearsal.v1'
export const REHEARSAL_FILE = 'rehearsal.json'

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits')
const rfc3339 = z.iso.datetime({ offset: true })

/** The nine fields shipper requires, in the order it writes them. */
export const REHEARSAL_REQUIRED_FIELDS = [
  'schema_version',
  'plan_id',
  'registry',
  'passed',
  'packages_attempted',
  'packages_published',
  'summary',
  'started_at',
  'completed_at'
] as const

export const rehearsedPackageSchema = z.object({
  name: z.string(),
  version: z.string(),
  /** SHA-256 of the .crate uploaded to the rehearsal registry; null when packaging never ran. */
  cksum: hex64.nullable(),
  /** Per-crate content digest (the one `bind: content` compares). */
  digest: hex64,
  /** `published`, `failed`, `skipped` or `not_attempted`, as the rehearsal reports it. */
  status: z.string().min(1),
  duration_ms: z.number().int().nonnegative()
})
export type RehearsedPackage = z.infer<typeof rehearsedPackageSchema>

/** Fields this action adds after the nine; shipper ignores them. Written in this order. */
const extraShape = {
  /**
   * `name@version` in this action's publish order, which may differ from the order plan_id
   * hashes (shipper's: normal and build dependencies only).
   */
  publish_order: z.array(z.string()).optional(),
  content_digest: hex64.optional(),
  packages: z.array(rehearsedPackageSchema).optional(),
  commit: z.string().optional(),
  tool: z.object({ name: z.string(), version: z.string() }).optional(),
  registry_url: z.string().optional(),
  /** The live registry the plan_id was computed for. */
  target: z.looseObject({ name: z.string(), api_base: z.string() }).optional(),
  /** `cargo -V` and `rustc -vV` of the rehearsal; a content-bound gate compares them. */
  toolchain: z.object({ cargo: z.string(), rustc: z.string() }).optional(),
  /** sha256 and length of events.jsonl as it was when this receipt was written. */
  events_sha256: hex64.optional(),
  events_bytes: z.number().int().nonnegative().optional()
}

export const rehearsalReceiptSchema = z.looseObject({
  schema_version: z.literal(REHEARSAL_SCHEMA),
  plan_id: hex64,
  registry: z.string().min(1),
  passed: z.boolean(),
  packages_attempted: z.number().int().nonnegative(),
  packages_published: z.number().int().nonnegative(),
  summary: z.string(),
  started_at: rfc3339,
  completed_at: rfc3339,
  ...extraShape
})
export type RehearsalReceipt = z.infer<typeof rehearsalReceiptSchema>

export type ReadRehearsalResult = ReadRecord<RehearsalReceipt>

export function rehearsalPath(stateDir: string): string {
  return join(stateDir, REHEARSAL_FILE)
}

/** shipper's wording for a passed rehearsal. */
export function rehearsalSummaryPassed(n: number, registry: string): string {
  return `rehearsed ${n} packages against '${registry}' successfully`
}

/** shipper's wording for a failed rehearsal; `firstFailure` should be a single line. */
export function rehearsalSummaryFailed(k: number, n: number, firstFailure: string): string {
  return `rehearsal stopped at ${k}/${n}: ${firstFailure}`
}

/** The nine shipper fields first in shipper's order, then ours, then anything else as given. */
function ordered(receipt: RehearsalReceipt): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const source = receipt as Record<string, unknown>
  for (const key of [...REHEARSAL_REQUIRED_FIELDS, ...Object.keys(extraShape)]) {
    if (source[key] !== undefined) out[key] = source[key]
  }
  for (const [key, value] of Object.entries(source)) {
    if (!(key in out) && value !== undefined) out[key] = value
  }
  return out
}

/** Validates and writes `<stateDir>/rehearsal.json` atomically; returns its path. */
export async function writeRehearsal(
  stateDir: string,
  receipt: RehearsalReceipt,
  secrets: readonly string[] = []
): Promise<string> {
  const valid = rehearsalReceiptSchema.parse(scrubDeep(receipt, secrets))
  const path = rehearsalPath(stateDir)
  await writeJsonAtomic(path, ordered(valid))
  return path
}

/**
 * Removes any previous receipt (and a leftover temp file) before a rehearsal starts, so an
 * aborted run can never leave an older passing receipt behind.
 */
export async function removeRehearsal(stateDir: string): Promise<void> {
  const path = rehearsalPath(stateDir)
  await rm(path, { force: true })
  await rm(`${path}.tmp`, { force: true })
}

export async function readRehearsal(stateDir: string): Promise<ReadRehearsalResult> {
  const file = await readJsonFile(rehearsalPath(stateDir))
  return file.kind === 'ok' ? validateRehearsal(file.value) : file
}

/** Parses receipt text (e.g. from a downloaded artifact) the way readRehearsal does. */
export function parseRehearsal(text: string): ReadRehearsalResult {
  const parsed = parseJsonText(text)
  return parsed.kind === 'ok' ? validateRehearsal(parsed.value) : parsed
}

/** The problem names what is wrong, the way the gate will quote it. */
function validateRehearsal(value: unknown): ReadRehearsalResult {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { kind: 'invalid', problem: 'not a JSON object' }
  }
  const fields = value as Record<string, unknown>
  if ('schema_version' in fields && fields.schema_version !== REHEARSAL_SCHEMA) {
    return {
      kind: 'invalid',
      problem: `foreign schema: schema_version is ${JSON.stringify(fields.schema_version)}, expected '${REHEARSAL_SCHEMA}'`
    }
  }
  const missing = REHEARSAL_REQUIRED_FIELDS.filter(key => !(key in fields))
  if (missing.length > 0) {
    const names = missing.map(key => `'${key}'`).join(', ')
    return {
      kind: 'invalid',
      problem: `missing required field${missing.length > 1 ? 's' : ''} ${names}`
    }
  }
  const result = rehearsalReceiptSchema.safeParse(value)
  if (!result.success) return { kind: 'invalid', problem: describeIssue(result.error.issues) }
  return { kind: 'ok', receipt: result.data }
}
