import type { RunContext } from '../context.js'
import { UserError } from '../errors.js'
import { resolveStateDir } from '../options/parse.js'
import type { Options } from '../options/types.js'
import { computeContentDigest, computePlan } from '../plan/index.js'
import { formatPlanText, planToJson } from '../plan/format.js'
import { manifestCheck } from '../preflight/index.js'
import type { Terminal } from './terminal.js'

export async function planCommand(
  options: Options,
  format: string,
  ctx: RunContext,
  term: Terminal
): Promise<number> {
  if (format !== 'text' && format !== 'json') {
    throw new UserError(
      `--format '${format}' is not supported`,
      'use --format text or --format json',
      2
    )
  }
  const deps = { cargo: ctx.cargo, fetch: ctx.fetch, env: ctx.env }
  const plan = await computePlan(
    {
      manifestPath: options.manifestPath,
      packages: options.packages,
      targetRegistry: options.targetRegistry,
      targetRegistryUrl: options.targetRegistryUrl
    },
    deps
  )
  const digest = await computeContentDigest(plan, {
    cargo: ctx.cargo,
    git: ctx.git,
    env: ctx.env,
    stateDir: resolveStateDir(options, plan.workspaceRoot)
  })
  const { problems } = await manifestCheck(plan, options, ctx)
  term.out(
    format === 'json'
      ? JSON.stringify(planToJson(plan, digest, options.packages, problems), null, 2)
      : formatPlanText(plan, digest, options.packages, problems)
  )
  return 0
}
