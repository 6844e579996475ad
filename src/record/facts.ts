import { z } from 'zod'
import { fieldsOf, variant } from './variant.js'

/**
 * This action's own record of what shipper has no event variant for, kept in a second JSONL file
 * beside events.jsonl (shipper's reader fails on any variant it does not know). Same line shape
 * as events.jsonl: `timestamp`, `event_type` (`type` first), `package`.
 */
export const FACTS_FILE = 'rehearse-events.jsonl'

export const FACT_VARIANTS = [
  /** A crate the rehearsal did not upload because the registry already had these exact bytes. */
  variant('rehearsal_package_skipped', {
    name: z.string(),
    version: z.string(),
    reason: z.string()
  }),
  /** `skip-rehearsal` in rehearse mode: nothing was rehearsed. */
  variant('rehearsal_bypassed', { reason: z.string() }),
  /** `skip-rehearsal` in publish mode: the gate was not evaluated. */
  variant('gate_bypassed', { plan_id: z.string(), reason: z.string() }),
  variant('gate_decision', { decision: z.enum(['proceed', 'refuse']), reason: z.string() }),
  /**
   * How this run authenticates to the live registry. shipper's `auth_evidence_recorded` only
   * says which credentials the environment offered; this says which one was used.
   */
  variant('auth_selected', {
    method: z.enum(['token', 'trusted_publishing', 'none']),
    source: z.enum(['input', 'env', 'oidc', 'none']),
    detail: z.string().optional()
  })
] as const

export const factTypeSchema = z.discriminatedUnion('type', FACT_VARIANTS)
export type FactType = z.infer<typeof factTypeSchema>
export type FactName = FactType['type']

export const FACT_FIELDS = fieldsOf(FACT_VARIANTS)

export function isFact(eventType: { type: string }): eventType is FactType {
  return eventType.type in FACT_FIELDS
}
