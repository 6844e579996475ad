/**
 * The body of `PUT /api/v1/crates/new` as cargo sends it: u32 LE length, metadata JSON, u32 LE
 * length, the .crate file. Parsing checks every length against what is actually there.
 */
import { z } from 'zod'
import { dependencyFields } from '../sparse/client.js'

export const publishDepSchema = z.looseObject({
  /** The real package name (the TOML key is `explicit_name_in_toml` when renamed). */
  name: z.string(),
  version_req: z.string(),
  ...dependencyFields,
  explicit_name_in_toml: z.string().nullable().optional()
})

export const publishMetadataSchema = z.looseObject({
  name: z.string(),
  vers: z.string(),
  deps: z.array(publishDepSchema).default([]),
  features: z.record(z.string(), z.array(z.string())).default({}),
  authors: z.array(z.string()).default([]),
  description: z.string().nullable().optional(),
  documentation: z.string().nullable().optional(),
  homepage: z.string().nullable().optional(),
  readme: z.string().nullable().optional(),
  readme_file: z.string().nullable().optional(),
  keywords: z.array(z.string()).default([]),
  categories: z.array(z.string()).default([]),
  license: z.string().nullable().optional(),
  license_file: z.string().nullable().optional(),
  repository: z.string().nullable().optional(),
  links: z.string().nullable().optional(),
  rust_version: z.string().nullable().optional()
})

export type PublishDep = z.infer<typeof publishDepSchema>
export type PublishMetadata = z.infer<typeof publishMetadataSchema>

export type ParsedBody =
  { ok: true; metadata: PublishMetadata; crate: Buffer } | { ok: false; detail: string }

/** Splits and decodes a publish body; the messages are crates.io's. */
export function parsePublishBody(body: Buffer): ParsedBody {
  if (body.length < 4) return { ok: false, detail: 'invalid metadata length' }
  const jsonLen = body.readUInt32LE(0)
  if (jsonLen > body.length - 4) {
    return { ok: false, detail: `invalid metadata length for remaining payload: ${jsonLen}` }
  }
  const jsonBytes = body.subarray(4, 4 + jsonLen)
  const rest = 4 + jsonLen
  if (body.length - rest < 4) return { ok: false, detail: 'invalid tarball length' }
  const crateLen = body.readUInt32LE(rest)
  if (crateLen > body.length - rest - 4) {
    return { ok: false, detail: `invalid tarball length for remaining payload: ${crateLen}` }
  }
  const crate = body.subarray(rest + 4, rest + 4 + crateLen)

  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(jsonBytes))
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    return { ok: false, detail: `invalid upload request: ${reason}` }
  }
  const parsed = publishMetadataSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue?.path.join('.') || 'metadata'
    return { ok: false, detail: `invalid upload request: ${where}: ${issue?.message ?? 'invalid'}` }
  }
  return { ok: true, metadata: parsed.data, crate }
}

/** Builds a publish body the way cargo does; for tests, benchmarks and tools. */
export function encodePublishBody(metadata: object, crate: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(metadata), 'utf8')
  const out = Buffer.alloc(8 + json.length + crate.length)
  out.writeUInt32LE(json.length, 0)
  json.copy(out, 4)
  out.writeUInt32LE(crate.length, 4 + json.length)
  Buffer.from(crate).copy(out, 8 + json.length)
  return out
}
