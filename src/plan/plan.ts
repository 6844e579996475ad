import { UserError } from '../errors.js'
import { matchesReq } from '../util/semver.js'
import type { CargoMetadata, MetadataPackage } from './metadata.js'
import type { DevOnlySelection, DroppedDevEdge, Plan, PlannedCrate, SkippedCrate } from './types.js'

export interface PlanRequest {
  /** Selected crate names; empty = every publishable member. */
  packages: string[]
  /** Live registry name the plan is for (`crates-io` by default). */
  targetRegistry: string
}

export type PlanDraft = Omit<Plan, 'planId' | 'apiBase'>

interface Edge {
  from: string
  to: string
  /** hard: normal/build dependency; soft: versioned dev-dependency. */
  kind: 'hard' | 'soft'
  req: string
}

/** Target kinds another crate can link against; a cdylib or staticlib alone is not one. */
const LIB_KINDS = new Set(['lib', 'rlib', 'dylib', 'proc-macro'])

/** Orders by UTF-16 code units (crate names are ASCII, so byte-wise), never by locale. */
export function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * The publish plan of a workspace (docs/formats.md "The plan"), from `cargo metadata --no-deps`.
 *
 * Only dependencies that reach a workspace member through `path` are edges. A path dependency on
 * a crate outside the workspace (an excluded folder, a sibling checkout) is not an edge: cargo
 * publishes it as a registry dependency by its version requirement, exactly like an external
 * crate, so it must already be on the registry; a member named without `path` is the same.
 *
 * A versioned dev-dependency on a member that is not published to the target registry cannot
 * order the plan either: it is listed in `droppedDevEdges`, like one that closes a cycle, since
 * both must resolve from versions the live registry already has.
 */
export function buildPlan(metadata: CargoMetadata, request: PlanRequest): PlanDraft {
  const memberIds = new Set(metadata.workspace_members)
  const members = metadata.packages
    .filter(p => memberIds.has(p.id))
    .sort((a, b) => byteCompare(a.name, b.name))
  const byName = new Map(members.map(m => [m.name, m]))
  const skipReasons = new Map<string, string>()
  for (const m of members) {
    const reason = skipReason(m, request.targetRegistry)
    if (reason !== undefined) skipReasons.set(m.name, reason)
  }

  const edges = memberEdges(members)
  const component = stronglyConnected(
    members.map(m => m.name),
    name => edges.filter(e => e.from === name).map(e => e.to)
  )
  const closesCycle = (e: Edge) =>
    e.kind === 'soft' && component.get(e.from) === component.get(e.to)
  const ordering = edges.filter(e => !closesCycle(e))

  const roots = selectRoots(request, members, skipReasons)
  const { inPlan, unorderable } = closeSelection(roots, ordering, skipReasons)
  checkVersionedPathDeps(inPlan, ordering, byName)
  const dropped = [...unorderable, ...edges.filter(e => closesCycle(e) && inPlan.has(e.from))]
    .map(({ from, to, req }): DroppedDevEdge => ({ from, to, req }))
    .sort((a, b) => byteCompare(a.from, b.from) || byteCompare(a.to, b.to))

  const depsOf = new Map<string, string[]>()
  for (const name of inPlan) {
    const deps = ordering.filter(e => e.from === name && inPlan.has(e.to)).map(e => e.to)
    depsOf.set(name, [...new Set(deps)].sort(byteCompare))
  }
  const order = kahnOrder([...inPlan], depsOf)
  // shipper's order hashes the plan_id: hard edges only. They are a subset of the ordering
  // edges, so this cannot meet a cycle the line above did not.
  const hardDepsOf = new Map<string, string[]>()
  for (const name of inPlan) {
    const deps = edges.filter(e => e.kind === 'hard' && e.from === name && inPlan.has(e.to))
    hardDepsOf.set(name, [...new Set(deps.map(e => e.to))].sort(byteCompare))
  }
  const shipperOrder = kahnOrder([...inPlan], hardDepsOf)
  const devOnlySelection = devOnlySelected(request, roots, inPlan, edges)

  const levelOf = new Map<string, number>()
  const packages: PlannedCrate[] = order.map(name => {
    const pkg = byName.get(name) as MetadataPackage
    const dependencies = depsOf.get(name) ?? []
    const level = Math.max(-1, ...dependencies.map(d => levelOf.get(d) ?? 0)) + 1
    levelOf.set(name, level)
    return {
      name,
      version: pkg.version,
      level,
      manifestPath: pkg.manifest_path,
      dependencies,
      bins: pkg.targets.filter(t => t.kind.includes('bin')).map(t => t.name),
      hasLib: pkg.targets.some(t => t.kind.some(k => LIB_KINDS.has(k)))
    }
  })
  const levels: string[][] = []
  for (const p of packages) (levels[p.level] ??= []).push(p.name)

  const skipped: SkippedCrate[] = members
    .filter(m => skipReasons.has(m.name))
    .map(m => ({ name: m.name, version: m.version, reason: skipReasons.get(m.name) as string }))

  return {
    registry: request.targetRegistry,
    workspaceRoot: metadata.workspace_root,
    shipperOrder,
    devOnlySelection,
    packages,
    levels,
    skipped,
    droppedDevEdges: dropped
  }
}

function skipReason(pkg: MetadataPackage, targetRegistry: string): string | undefined {
  if (pkg.publish === null || pkg.publish === undefined) return undefined
  if (pkg.publish.length === 0) return 'publish = false'
  if (pkg.publish.includes(targetRegistry)) return undefined
  return `publish = ${JSON.stringify(pkg.publish)} does not include '${targetRegistry}'`
}

function manifestDir(manifestPath: string): string {
  return manifestPath.replace(/[\\/][^\\/]*$/, '')
}

function memberEdges(members: MetadataPackage[]): Edge[] {
  const byDir = new Map(members.map(m => [manifestDir(m.manifest_path), m]))
  const edges = new Map<string, Edge>()
  for (const m of members) {
    for (const dep of m.dependencies) {
      if (!dep.path) continue
      const target = byDir.get(dep.path.replace(/[\\/]+$/, ''))
      if (!target || target.name !== dep.name) continue
      const key = `${m.name}\n${target.name}`
      if (dep.kind === 'dev') {
        // cargo strips a path-only dev-dependency on publish, and a crate's tests may use itself.
        if (dep.req === '*' || target.name === m.name || edges.has(key)) continue
        edges.set(key, { from: m.name, to: target.name, kind: 'soft', req: dep.req })
      } else {
        edges.set(key, { from: m.name, to: target.name, kind: 'hard', req: dep.req })
      }
    }
  }
  return [...edges.values()]
}

function selectRoots(
  request: PlanRequest,
  members: MetadataPackage[],
  skipReasons: Map<string, string>
): string[] {
  const publishable = members.map(m => m.name).filter(n => !skipReasons.has(n))
  if (request.packages.length === 0) return publishable
  const known = new Set(members.map(m => m.name))
  for (const name of request.packages) {
    if (!known.has(name)) {
      throw new UserError(
        `package '${name}' is not a member of this workspace`,
        `valid names: ${publishable.join(', ') || '(none)'}`,
        2
      )
    }
    const reason = skipReasons.get(name)
    if (reason !== undefined) {
      throw new UserError(
        `package '${name}' cannot be published to '${request.targetRegistry}' (${reason})`,
        `select publishable crates only: ${publishable.join(', ') || '(none)'}`,
        2
      )
    }
  }
  return [...new Set(request.packages)]
}

/** The selection closed over ordering edges; soft edges to unpublished members are set aside. */
function closeSelection(
  roots: string[],
  ordering: Edge[],
  skipReasons: Map<string, string>
): { inPlan: Set<string>; unorderable: Edge[] } {
  const inPlan = new Set<string>()
  const unorderable: Edge[] = []
  const queue = [...roots]
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (inPlan.has(name)) continue
    inPlan.add(name)
    for (const edge of ordering.filter(e => e.from === name)) {
      const reason = skipReasons.get(edge.to)
      if (reason === undefined) {
        queue.push(edge.to)
      } else if (edge.kind === 'soft') {
        unorderable.push(edge)
      } else {
        throw new UserError(
          `${name} depends on ${edge.to}, which is not published (${reason})`,
          `make ${edge.to} publishable too, or remove the dependency of ${name} on it`,
          2
        )
      }
    }
  }
  return { inPlan, unorderable }
}

/** Planned crates a selection reaches through soft edges only, where shipper's closure stops. */
function devOnlySelected(
  request: PlanRequest,
  roots: string[],
  inPlan: Set<string>,
  edges: Edge[]
): DevOnlySelection[] {
  if (request.packages.length === 0) return []
  const byHard = new Set<string>()
  const queue = [...roots]
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (byHard.has(name)) continue
    byHard.add(name)
    for (const e of edges) if (e.kind === 'hard' && e.from === name) queue.push(e.to)
  }
  return [...inPlan]
    .filter(name => !byHard.has(name))
    .sort(byteCompare)
    .map(name => ({
      name,
      dependents: [
        ...new Set(
          edges
            .filter(e => e.kind === 'soft' && e.to === name && inPlan.has(e.from))
            .map(e => e.from)
        )
      ].sort(byteCompare)
    }))
}

/**
 * cargo refuses to package a crate whose normal or build dependency on a sibling has only a path
 * (`req` is then `*`), or a version requirement the sibling's version does not meet. Caught here, before any crate is packaged, so the crate that needs the fix
 * is the one blamed, and the fix names both crates and the manifest to edit.
 */
function checkVersionedPathDeps(
  inPlan: Set<string>,
  ordering: Edge[],
  byName: Map<string, MetadataPackage>
): void {
  for (const edge of ordering) {
    if (edge.kind !== 'hard' || !inPlan.has(edge.from)) continue
    const from = byName.get(edge.from) as MetadataPackage
    const to = byName.get(edge.to) as MetadataPackage
    if (edge.req !== '*') {
      if (satisfies(edge.req, to.version)) continue
      throw new UserError(
        `${edge.from} requires ${edge.to} ${edge.req}, but the workspace's ${edge.to} is ${to.version}, so cargo cannot package ${edge.from}`,
        `in ${from.manifest_path}, make the ${edge.to} requirement match ${to.version} (or bump ${edge.to})`,
        2
      )
    }
    throw new UserError(
      `${edge.from} depends on ${edge.to} by path without a version requirement, so cargo cannot publish ${edge.from}`,
      `in ${from.manifest_path}, give the ${edge.to} dependency a version beside its path, e.g. \`${edge.to} = { path = "…", version = "${to.version}" }\``,
      2
    )
  }
}

/** A requirement this module cannot read is cargo's to judge: it is not refused here. */
function satisfies(req: string, version: string): boolean {
  try {
    return matchesReq(req, version)
  } catch {
    return true
  }
}

/** Kahn's algorithm taking the byte-wise smallest ready crate first. */
function kahnOrder(names: string[], depsOf: Map<string, string[]>): string[] {
  const waitingOn = new Map(names.map(n => [n, (depsOf.get(n) ?? []).length]))
  const dependents = new Map<string, string[]>()
  for (const n of names) {
    for (const d of depsOf.get(n) ?? []) dependents.set(d, [...(dependents.get(d) ?? []), n])
  }
  const ready = names.filter(n => waitingOn.get(n) === 0)
  const order: string[] = []
  while (ready.length > 0) {
    ready.sort(byteCompare)
    const next = ready.shift() as string
    order.push(next)
    for (const d of dependents.get(next) ?? []) {
      const left = (waitingOn.get(d) ?? 0) - 1
      waitingOn.set(d, left)
      if (left === 0) ready.push(d)
    }
  }
  if (order.length < names.length) throw cycleError(names, order, depsOf)
  return order
}

function cycleError(names: string[], order: string[], depsOf: Map<string, string[]>): UserError {
  const placed = new Set(order)
  const left = names.filter(n => !placed.has(n)).sort(byteCompare)
  const component = stronglyConnected(left, n => (depsOf.get(n) ?? []).filter(d => !placed.has(d)))
  const sizes = new Map<number, number>()
  for (const c of component.values()) sizes.set(c, (sizes.get(c) ?? 0) + 1)
  // Crates merely waiting behind a cycle are not part of it.
  const inCycle = left.filter(
    n => (sizes.get(component.get(n) as number) ?? 0) > 1 || (depsOf.get(n) ?? []).includes(n)
  )
  return new UserError(
    `dependency cycle between workspace crates: ${inCycle.join(', ')}`,
    'cargo cannot publish crates that depend on each other through normal or build dependencies; break the cycle (a dev-dependency without a version is fine)',
    2
  )
}

/** Tarjan's algorithm: maps every node to the index of its strongly connected component. */
function stronglyConnected(nodes: string[], next: (n: string) => string[]): Map<string, number> {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const stack: string[] = []
  const component = new Map<string, number>()
  let counter = 0
  let components = 0
  const known = new Set(nodes)

  const visit = (v: string): void => {
    index.set(v, counter)
    low.set(v, counter)
    counter++
    stack.push(v)
    onStack.add(v)
    for (const w of next(v)) {
      if (!known.has(w)) continue
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number))
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number))
      }
    }
    if (low.get(v) === index.get(v)) {
      let w: string
      do {
        w = stack.pop() as string
        onStack.delete(w)
        component.set(w, components)
      } while (w !== v)
      components++
    }
  }
  for (const n of nodes) if (!index.has(n)) visit(n)
  return component
}
