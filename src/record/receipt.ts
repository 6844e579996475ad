import { join } from 'node:path'
import { z } from 'zod'
import { writeJsonAtomic } from './atomic.js'
import { describeIssue, readJsonFile, type ReadRecord } from './json.js'
import { scrubSecrets } from './scrub.js'

export const RECEIPT_SCHEMA = 'shipper-rehearse.receipt.v1'
/**
 * Not `receipt.json`: that is shipper's publish receipt, which its `inspect-receipt`, yank and
 * remediation commands read in their own shape.
 */
export const RECEIPT_FILE = 'publish-record.json'

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits')
const rfc3339 = z.iso.datetime({ offset: true })

export const publishResultSchema = z.enum([
  'success',
  'partial_failure',
  'complete_failure',
  'dry_run',
  'refused'
])
export type PublishResult = z.infer<typeof publishResultSchema>

export const packageStateSchema = z.enum(['published', 'skipped', 'failed', 'pending', 'dry_run'])
export type PackageState = z.infer<typeof packageStateSchema>

export const publishedPackageSchema = z.object({
  name: z.string(),
  version: z.string(),
  state: packageStateSchema,
  attempts: z.number().int().nonnegative(),
  duration_ms: z.number().int().nonnegative(),
  error: z
    .object({ class: z.enum(['retryable', 'permanent', 'ambiguous']), message: z.string() })
    .optional()
})
export type PublishedPackage = z.infer<typeof publishedPackageSchema>

/** Key order of this shape is the key order on disk. */
export const publishReceiptSchema = z.object({
  schema_version: z.literal(RECEIPT_SCHEMA),
  plan_id: hex64,
  /** Live target registry name. */
  registry: z.string().min(1),
  /** Null when the run stopped before the sources were digested. */
  content_digest: hex64.nullable(),
  started_at: rfc3339,
  completed_at: rfc3339,
  result: publishResultSchema,
  packages: z.array(publishedPackageSchema),
  gate: z.object({
    decision: z.enum(['proceed', 'refuse']),
    reason: z.string(),
    bypassed: z.boolean()
  }),
  /** Whether cargo's verification build ran before the uploads, and why (`verify` input). */
  verification: z
    .object({ mode: z.enum(['auto', 'always']), built: z.boolean(), reason: z.string() })
    .optional(),
  tool: z.object({ name: z.string(), version: z.string() })
})
export type PublishReceipt = z.infer<typeof publishReceiptSchema>

export type ReadReceiptResult = ReadRecord<PublishReceipt>

export function receiptPath(stateDir: string): string {
  return join(stateDir, RECEIPT_FILE)
}

/**
 * Validates and writes `<stateDir>/publish-record.json` atomically; error messages and the gate's
 * reason are scrubbed of `secrets` and credential-shaped text. Returns the path.
 */
export async function writeReceipt(
  stateDir: string,
  receipt: PublishReceipt,
  secrets: readonly string[] = []
): Promise<string> {
  const scrubbed: PublishReceipt = {
    ...receipt,
    packages: receipt.packages.map(pkg =>
      pkg.error
        ? { ...pkg, error: { ...pkg.error, message: scrubSecrets(pkg.error.message, secrets) } }
        : pkg
    ),
    gate: { ...receipt.gate, reason: scrubSecrets(receipt.gate.reason, secrets) }
  }
  // zod rebuilds objects in shape order, which fixes the key order on disk.
  const valid = publishReceiptSchema.parse(scrubbed)
  const path = receiptPath(stateDir)
  await writeJsonAtomic(path, valid)
  return path
}

export async function readReceipt(stateDir: string): Promise<ReadReceiptResult> {
  const file = await readJsonFile(receiptPath(stateDir))
  if (file.kind !== 'ok') return file
  const value = file.value as { schema_version?: unknown } | null
  if (
    value &&
    typeof value === 'object' &&
    'schema_version' in value &&
    value.schema_version !== RECEIPT_SCHEMA
  ) {
    return {
      kind: 'invalid',
      problem: `foreign schema: schema_version is ${JSON.stringify(value.schema_version)}, expected '${RECEIPT_SCHEMA}'`
    }
  }
  const result = publishReceiptSchema.safeParse(file.value)
  if (!result.success) return { kind: 'invalid', problem: describeIssue(result.error.issues) }
  return { kind: 'ok', receipt: result.data }
}
