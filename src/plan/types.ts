import type { DigestEntry } from './digest.js'
/** One crate of the publish plan, in plan order. */
export interface PlannedCrate {
  name: string
  version: string
  /** 0 = no in-plan dependencies; k = every in-plan dependency is in a level below k. */
  level: number
  /** Absolute path of the crate's Cargo.toml. */
  manifestPath: string
  /** In-plan crates this one must follow (hard edges and kept soft edges), sorted. */
  dependencies: string[]
  /** Names of the crate's bin targets (for smoke-install). */
  bins: string[]
  /** True when the crate has a lib or proc-macro target (for smoke-build). */
  hasLib: boolean
}

export interface SkippedCrate {
  name: string
  version: string
  reason: string
}

/**
 * A versioned dev-dependency that closed a cycle and was dropped from ordering. It keeps
 * resolving from the live registry's existing versions at publish time (serde/serde_derive).
 */
export interface DroppedDevEdge {
  /** The crate that declares the dev-dependency. */
  from: string
  /** The member it dev-depends on. */
  to: string
  /** The version requirement of the dev-dependency. */
  req: string
}

/**
 * A crate that a `packages` selection brought into the plan only through a versioned
 * dev-dependency. shipper closes a selection over normal and build dependencies only, so its
 * plan (and plan_id) for the same selection lacks the crate.
 */
export interface DevOnlySelection {
  name: string
  /** The planned crates that dev-depend on it. */
  dependents: string[]
}

export interface Plan {
  /** 64-hex plan id, byte-identical to shipper's: over `shipperOrder`, not the publish order. */
  planId: string
  /**
   * The planned crates in shipper's order (Kahn's algorithm over normal and build dependencies
   * only, ready set by name), which the plan_id hashes. `packages` holds this action's publish
   * order, which also follows kept soft edges and may differ.
   */
  shipperOrder: string[]
  /** Crates selected through dev-dependencies only (empty without a `packages` selection). */
  devOnlySelection: DevOnlySelection[]
  /** Live target registry name (`crates-io` by default). */
  registry: string
  /** API base that entered the plan id (`https://crates.io` for crates-io). */
  apiBase: string
  /** cargo metadata's `workspace_root`. */
  workspaceRoot: string
  packages: PlannedCrate[]
  /** Crate names per level, each in plan order. */
  levels: string[][]
  skipped: SkippedCrate[]
  droppedDevEdges: DroppedDevEdge[]
}

export interface ContentDigest {
  /** 64-hex digest over all planned crates in plan order. */
  digest: string
  /** 64-hex digest per crate name. */
  perCrate: Record<string, string>
  /**
   * sha256 of the Cargo.lock cargo packages (the committed one, or the one resolved for the digest). Every crate packages the lock, so
   * a changed lock changes every crate's digest: recorded apart so a refusal can say so.
   */
  lockSha256?: string
  /** What each crate's digest hashed, by crate name: the files a `.crate` must hold. */
  entries?: Record<string, DigestEntry[]>
  /** Whether the workspace has a Cargo.lock (without one cargo resolves anew when packaging). */
  lockFile?: boolean
  /** For a workspace without Cargo.lock: the lock resolved for the digest, to package with. */
  resolvedLock?: string
}
