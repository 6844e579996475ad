import { CRATES_IO } from '../crates-io.js'
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
  /** The order the plan_id hashes (shipper's); `packages` is in publish order. */
  plan_id_order: string[]
  /** Crates a `packages` selection reached through dev-dependencies only. */
  dev_only_selection: { name: string; dependents: string[] }[]
  /** The shipper command that computes the same plan_id, or null when it is plain `shipper plan`. */
  shipper_command: string | null
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

/** A word for a POSIX shell, quoted only when it needs to be. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9._:/@+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

/**
 * The shipper command line that plans the same crates for the same target, so it prints the same
 * plan_id: shipper takes the registry of its plan_id from `--registry` / `--api-base` only (not
 * from `.shipper.toml`), and closes `--package` over normal and build dependencies only, so crates
 * a selection reached through dev-dependencies are named explicitly. Undefined when a plain
 * `shipper plan` already agrees. Run from the workspace root.
 */
export function shipperPlanCommand(plan: Plan, selected: readonly string[]): string | undefined {
  const words = ['shipper', 'plan']
  if (plan.registry !== CRATES_IO.name || plan.apiBase !== CRATES_IO.api) {
    words.push('--registry', plan.registry, '--api-base', plan.apiBase.replace(/\/+$/, ''))
  }
  if (selected.length > 0) {
    const names = new Set([...selected, ...plan.devOnlySelection.map(d => d.name)])
    for (const name of names) words.push('--package', name)
  }
  return words.length > 2 ? words.map(shellWord).join(' ') : undefined
}

function differsFromShipper(plan: Plan): boolean {
  return plan.shipperOrder.some((name, i) => plan.packages[i]?.name !== name)
}

/**
 * The digest is optional so a plan can be shown where packaged sources were not hashed;
 * `selected` is the `packages` selection the plan was made for.
 */
export function planToJson(
  plan: Plan,
  digest?: ContentDigest,
  selected: readonly string[] = [],
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
    plan_id_order: [...plan.shipperOrder],
    dev_only_selection: plan.devOnlySelection.map(d => ({
      name: d.name,
      dependents: [...d.dependents]
    })),
    shipper_command: shipperPlanCommand(plan, selected) ?? null,
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
  selected: readonly string[] = [],
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
  if (differsFromShipper(plan)) {
    lines.push(
      `  hashed in shipper's order (normal and build dependencies only): ${plan.shipperOrder.join(', ')};`,
      '  the publish order above also follows versioned dev-dependencies'
    )
  }
  if (plan.devOnlySelection.length > 0) {
    const why = plan.devOnlySelection
      .map(d => `${d.name} (dev-dependency of ${d.dependents.join(', ')})`)
      .join(', ')
    lines.push(
      `  differs from shipper's plan_id for the same --package selection: shipper does not follow dev-dependencies, so it leaves out ${why}`
    )
  }
  const command = shipperPlanCommand(plan, selected)
  if (command) lines.push(`  same plan_id with shipper: ${command}`)
  if (digest) lines.push(`content digest: ${digest.digest}`)
  return `${lines.join('\n')}\n`
}
