/** What the schedule needs of a crate: its name and the in-plan crates it must follow. */
export interface Schedulable {
  name: string
  /** In-plan crates this one must follow (the plan's hard edges and kept soft edges). */
  dependencies: readonly string[]
}

/**
 * Which crates may be uploaded now, as cargo's own `PublishPlan` decides it: a crate is ready once
 * every in-plan dependency is confirmed visible in the index, not once its whole level is, so a
 * slow crate holds back only the crates that depend on it. After the first failure nothing new
 * becomes ready; crates already in flight may still be confirmed. Pure: no I/O, no clock.
 */
export class Schedule {
  private readonly order: string[]
  private readonly waitingOn = new Map<string, Set<string>>()
  private failed = false

  /** `confirmed`: crates visible before anything starts (e.g. versions already in the index). */
  constructor(crates: readonly Schedulable[], confirmed: Iterable<string> = []) {
    this.order = crates.map(c => c.name)
    const inPlan = new Set(this.order)
    for (const c of crates) {
      this.waitingOn.set(c.name, new Set(c.dependencies.filter(d => inPlan.has(d))))
    }
    for (const name of confirmed) this.confirm(name)
  }

  /** Up to `limit` ready crates in plan order, now in flight. */
  takeReady(limit = Infinity): string[] {
    if (this.failed) return []
    const taken: string[] = []
    for (const name of this.order) {
      if (taken.length >= limit) break
      if (this.waitingOn.get(name)?.size === 0) taken.push(name)
    }
    // Taken crates are in flight: no longer waiting, not yet confirmed.
    for (const name of taken) this.waitingOn.delete(name)
    return taken
  }

  /** The crate is visible: its dependents no longer wait for it. */
  markConfirmed(name: string): void {
    this.confirm(name)
  }

  /** A crate in flight failed: it and everything not yet started stay unconfirmed. */
  markFailed(): void {
    this.failed = true
  }

  private confirm(name: string): void {
    this.waitingOn.delete(name)
    for (const deps of this.waitingOn.values()) deps.delete(name)
  }
}

export interface DriveOptions<T extends Schedulable> {
  /** At most this many tasks in flight at once. */
  maxConcurrency: number
  /**
   * Uploads one crate and proves it visible, then calls `settle` with whether it is confirmed. A
   * crate the task leaves unsettled counts as failed.
   */
  task: (crate: T, settle: (confirmed: boolean) => void) => Promise<void>
}

/**
 * Runs a plan on a `Schedule` with bounded concurrency, one task per crate (publish mode: each
 * crate retried and reconciled on its own). A throw from a task stops new starts like a failure
 * does and is rethrown once every started task has settled, so no work is left running.
 */
export async function drive<T extends Schedulable>(
  crates: readonly T[],
  schedule: Schedule,
  options: DriveOptions<T>
): Promise<void> {
  const byName = new Map(crates.map(c => [c.name, c]))
  const limit = Math.max(1, Math.floor(options.maxConcurrency) || 1)
  // A task holds its slot until its crate is settled; `alive` also waits for its return.
  let busy = 0
  const alive = new Set<Promise<void>>()
  let thrown: { error: unknown } | undefined
  let wake: () => void = () => undefined

  const start = (crate: T) => {
    let settled = false
    busy++
    const settle = (confirmed: boolean) => {
      if (settled) return
      settled = true
      if (confirmed) schedule.markConfirmed(crate.name)
      else schedule.markFailed()
      busy--
      wake()
    }
    const run: Promise<void> = options
      .task(crate, settle)
      .catch((error: unknown) => {
        thrown ??= { error }
      })
      .finally(() => {
        settle(false)
        alive.delete(run)
        wake()
      })
    alive.add(run)
  }

  for (;;) {
    const free = limit - busy
    const ready = free > 0 && !thrown ? schedule.takeReady(free) : []
    if (ready.length > 0) {
      for (const name of ready) start(byName.get(name) as T)
      continue
    }
    if (alive.size === 0) break
    await new Promise<void>(resolve => (wake = resolve))
  }
  if (thrown) throw thrown.error
}
