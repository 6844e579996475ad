import { AUTH_EVIDENCE_SCHEMA, type ShipperAuthEvidence } from './shipper-events.js'

function present(value: string | undefined): boolean {
  return (value ?? '').trim() !== ''
}

/**
 * shipper's `auth_evidence_recorded` evidence, by shipper's own rule: which credentials the
 * environment offered (a registry token, the two halves of an OIDC context), never which one was
 * used or where it came from. Pure.
 */
export function shipperAuthEvidence(
  registry: string,
  tokenDetected: boolean,
  env: Record<string, string | undefined>
): ShipperAuthEvidence {
  const url = present(env.ACTIONS_ID_TOKEN_REQUEST_URL)
  const token = present(env.ACTIONS_ID_TOKEN_REQUEST_TOKEN)
  const mode: ShipperAuthEvidence['auth_mode'] = tokenDetected
    ? url && token
      ? 'cargo_token_with_oidc_context'
      : 'cargo_token'
    : url && token
      ? 'trusted_publishing_context'
      : url || token
        ? 'partial_oidc_context'
        : 'missing'
  return {
    schema_version: AUTH_EVIDENCE_SCHEMA,
    registry,
    auth_mode: mode,
    token_detected: tokenDetected,
    oidc_request_url_present: url,
    oidc_request_token_present: token
  }
}
