/**
 * The live target in the rehearsal proof: the receipt records which registry its plan_id was
 * computed for, so a plan_id refusal caused by another target can say so, and say how to
 * rehearse for this one. Pure.
 */
import type { Options } from '../options/types.js'
import type { RehearsalReceipt } from '../record/rehearsal.js'

export interface LiveTargetOfPlan {
  name: string
  /** The API base that entered the plan_id. */
  apiBase: string
  /** The inputs / flags that make a rehearsal compute this target's plan_id. */
  flags: string
}

/** How a user selects this target when rehearsing: action inputs and the command-line flags. */
export function targetFlags(
  options: Pick<Options, 'targetRegistry' | 'targetRegistryUrl'>
): string {
  if (options.targetRegistry === 'crates-io' && !options.targetRegistryUrl) {
    return '`target-registry: crates-io` (the default; no --target-registry flag)'
  }
  const url = options.targetRegistryUrl
  const inputs = [`target-registry: ${options.targetRegistry}`]
  const flags = [`--target-registry ${options.targetRegistry}`]
  if (url) {
    inputs.push(`target-registry-url: ${url}`)
    flags.push(`--target-registry-url ${url}`)
  }
  return `inputs \`${inputs.join('`, `')}\` (command line: \`${flags.join(' ')}\`)`
}

/** A refusal naming both targets when the receipt was made for another live registry. */
export function targetMismatch(
  receipt: Pick<RehearsalReceipt, 'plan_id' | 'target'>,
  target: LiveTargetOfPlan | undefined,
  how: string
): { decision: 'refuse'; reason: 'stale_plan'; message: string; hint: string } | undefined {
  const rehearsed = receipt.target
  if (!target || !rehearsed) return undefined
  if (rehearsed.name === target.name && rehearsed.api_base === target.apiBase) return undefined
  return {
    decision: 'refuse',
    reason: 'stale_plan',
    message:
      `rehearsal receipt is stale: it was made for another live registry, '${rehearsed.name}' (${rehearsed.api_base}), ` +
      `but this publish goes to '${target.name}' (${target.apiBase}), so its plan_id ` +
      `${receipt.plan_id} is not this plan's`,
    hint: `rehearse for '${target.name}' with ${target.flags}: ${how}`
  }
}
