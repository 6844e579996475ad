import { readFile } from 'node:fs/promises'
import { parse, TomlError } from 'smol-toml'
import { z } from 'zod'
import { UserError } from '../errors.js'

/**
 * The parts of shipper's `.shipper.toml` this action understands. Other tables (policy, lock,
 * output, ...) belong to the shipper CLI and are accepted untouched.
 */
const registryEntry = z.object({
  name: z.string().min(1),
  api_base: z.string().optional(),
  index_base: z.string().optional()
})

const duration = z.union([z.string(), z.number()])

export const shipperConfigSchema = z
  .object({
    state_dir: z.string().min(1).optional(),
    rehearsal: z
      .object({ enabled: z.boolean().optional(), registry: z.string().min(1).optional() })
      .loose()
      .optional(),
    registry: z
      .object({ name: z.string().min(1).optional(), api_base: z.string().optional() })
      .loose()
      .optional(),
    registries: z
      .union([
        z.array(registryEntry),
        z.object({ registries: z.array(registryEntry).optional() }).loose()
      ])
      .optional(),
    readiness: z
      .object({ max_total_wait: duration.optional(), enabled: z.boolean().optional() })
      .loose()
      .optional(),
    retry: z
      .object({
        max_attempts: z.number().int().min(1).max(100).optional(),
        base_delay: duration.optional(),
        max_delay: duration.optional()
      })
      .loose()
      .optional(),
    flags: z.object({ allow_dirty: z.boolean().optional() }).loose().optional()
  })
  .loose()

export type ShipperConfig = z.infer<typeof shipperConfigSchema>
export type RegistryEntry = z.infer<typeof registryEntry>

export function registryEntries(config: ShipperConfig): RegistryEntry[] {
  const r = config.registries
  if (!r) return []
  return Array.isArray(r) ? r : (r.registries ?? [])
}

export function parseShipperConfig(text: string, path: string): ShipperConfig {
  let raw: unknown
  try {
    raw = parse(text)
  } catch (error) {
    const where = error instanceof TomlError ? ` at line ${error.line}, column ${error.column}` : ''
    const what = error instanceof Error ? error.message.split('\n')[0] : String(error)
    throw new UserError(
      `${path} is not valid TOML${where}: ${what}`,
      'fix the file or point the `config` input at another one',
      2
    )
  }
  const result = shipperConfigSchema.safeParse(raw)
  if (!result.success) {
    const issue = result.error.issues[0]
    const key = issue?.path.join('.') || '(root)'
    throw new UserError(
      `${path}: \`${key}\` is invalid: ${issue?.message ?? 'unexpected value'}`,
      'see the .shipper.toml section of the README for the keys this action reads',
      2
    )
  }
  return result.data
}

export async function loadShipperConfig(path: string): Promise<ShipperConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    throw new UserError(`config file ${path} cannot be read`, 'check the `config` input path', 2)
  }
  return parseShipperConfig(text, path)
}
