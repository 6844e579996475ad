import { gateOnly } from '../publish/index.js'
import type { EngineCommand } from './terminal.js'

/** `shipper-rehearse gate`: evaluates the publish gate and prints the decision (exit 0 proceed, 1 refuse). */
export const gateCommand: EngineCommand = async (options, ctx, term, deps = {}) => {
  const report = await gateOnly(options, ctx, deps)
  const { decision, plan } = report
  term.out(`plan_id ${plan.planId}`)
  term.out(`content ${report.digest.digest}`)
  term.out(`receipt ${report.proof.receiptPath}`)
  if (decision.decision === 'refuse') {
    term.out(`gate: refuse (${decision.reason}): ${decision.message}`)
    term.out(`hint: ${decision.hint}`)
    return 1
  }
  term.out(`gate: proceed${decision.bypassed ? ' WITHOUT a rehearsal' : ''}: ${decision.message}`)
  return 0
}
