import type { ContentDigest, Plan } from './types.js'

/** `plan --format json`: snake_case, like the rest of shipper's files. */
export interface PlanJson {
  plan_id: string
  content_digest: string | null
  registry: string
  api_base: string
  levels: string[][]
  packages: {
    name: string
    version: string
    level: number
    manifest_path: string
    dependencies: string[]
    digest: string | null
  }[]
  skipped: { name: string; version: string; reason: string }[]
  dropped_dev_dependencies: { from: string; to: string; req: string }[]
  /** What the live registry would refuse in the manifests (crates.io's rules, registry keys). */
  problems: { crate: string; version: string; field: string; message: string; fix: string }[]
}

/** A manifest problem as `plan` shows it (src/preflight finds them). */
export interface PlanProblem {
  crate: string
  version: string
  field: string
  message: string
  fix: string
}

/** The digest is optional so a plan can be shown where packaged sources were not hashed. */
export function planToJson(
  plan: Plan,
  digest?: ContentDigest,
  problems: readonly PlanProblem[] = []
): PlanJson {
  return {
    plan_id: plan.planId,
    content_digest: digest?.digest ?? null,
    registry: plan.registry,
    api_base: plan.apiBase,
    levels: plan.levels.map(level => [...level]),
    packages: plan.packages.map(p => ({
      name: p.name,
      version: p.version,
      level: p.level,
      manifest_path: p.manifestPath,
      dependencies: [...p.dependencies],
      digest: digest?.perCrate[p.name] ?? null
    })),
    skipped: plan.skipped.map(({ name, version, reason }) => ({ name, version, reason })),
    dropped_dev_dependencies: plan.droppedDevEdges.map(({ from, to, req }) => ({ from, to, req })),
    problems: problems.map(({ crate, version, field, message, fix }) => ({
      crate,
      version,
      field,
      message,
      fix
    }))
  }
}

export function formatPlanText(
  plan: Plan,
  digest?: ContentDigest,
  problems: readonly PlanProblem[] = []
): string {
  const lines: string[] = [`Publish plan for ${plan.registry} (${plan.apiBase})`]
  if (plan.packages.length === 0) lines.push('  nothing to publish')
  plan.packages.forEach((crate, i) => {
    const after = crate.dependencies.length > 0 ? `, after ${crate.dependencies.join(', ')}` : ''
    lines.push(`  ${i + 1}. ${crate.name} ${crate.version}  (level ${crate.level}${after})`)
  })
  if (plan.skipped.length > 0) {
    lines.push('Skipped:')
    for (const s of plan.skipped) lines.push(`  ${s.name} ${s.version}: ${s.reason}`)
  }
  if (plan.droppedDevEdges.length > 0) {
    lines.push(`Dev-dependencies left to versions already on ${plan.registry}:`)
    for (const e of plan.droppedDevEdges) lines.push(`  ${e.from} -> ${e.to} ${e.req}`)
  }
  if (problems.length > 0) {
    lines.push(`Problems '${plan.registry}' would refuse (a rehearsal fails on them):`)
    for (const p of problems) {
      lines.push(`  ${p.crate}@${p.version}: ${p.field}: ${p.message}`, `    fix: ${p.fix}`)
    }
  }
  lines.push(`plan_id: ${plan.planId}`)
  if (digest) lines.push(`content digest: ${digest.digest}`)
  return `${lines.join('\n')}\n`
}
