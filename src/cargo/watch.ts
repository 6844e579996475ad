/**
 * Signs of life while cargo works: a build of several minutes must not leave the log silent.
 * `watchCargo` wraps a runner; while a command runs it reports, every `intervalMs`, what cargo
 * says it is on (its last `Compiling`/`Packaging`/`Verifying`/`Uploading`… line) and for how long.
 * In GitHub Actions it also streams cargo's output, each command in a `::group::` section.
 */
import type { CargoRunner, CargoRunOptions } from './run.js'

export const PROGRESS_INTERVAL_MS = 15_000

/** cargo's status lines worth repeating: a verb in column 0-12, then what it acts on. */
const ACTIVITY =
  /^\s{0,12}(Compiling|Checking|Packaging|Verifying|Uploading|Uploaded|Downloading|Downloaded|Updating|Installing|Waiting|Building|Running|Documenting|Locking|Archiving)\s+(.+?)\s*$/

/** What a cargo status line says it is doing (`Compiling g-app v0.1.0`), or undefined. Pure. */
export function cargoActivity(line: string): string | undefined {
  const match = ACTIVITY.exec(line)
  if (!match) return undefined
  // `Compiling x v1 (/long/path)`: the path says nothing a person watching needs.
  return `${match[1]} ${(match[2] as string).replace(/\s+\((?:\/|[A-Za-z]:\\)[^)]*\)$/, '')}`
}

/** `cargo package`, the command a person would recognize, without its `-p` list. Pure. */
export function commandLabel(args: readonly string[]): string {
  return `cargo ${args[0] ?? ''}`.trim()
}

/** The line printed while a command runs. Pure. */
export function progressLine(label: string, activity: string | undefined, elapsedMs: number) {
  const elapsed = formatElapsed(elapsedMs)
  return activity
    ? `${label}: ${elapsed} so far; cargo is on: ${activity}`
    : `${label}: ${elapsed} so far; cargo has not said what it is on yet`
}

export function formatElapsed(ms: number): string {
  const s = Math.round(ms / 1000)
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
}

export interface Timers {
  setInterval(fn: () => void, ms: number): unknown
  clearInterval(handle: unknown): void
}

const realTimers: Timers = {
  setInterval: (fn, ms) => {
    const handle = setInterval(fn, ms)
    handle.unref()
    return handle
  },
  clearInterval: handle => clearInterval(handle as NodeJS.Timeout)
}

export interface WatchOptions {
  progress(line: string): void
  now(): number
  intervalMs?: number
  timers?: Timers
  /**
   * GitHub Actions: cargo's output goes to `write`, each command inside a `::group::` section.
   * Only one section can be open, so a command that runs beside another one is written out as
   * its own section when it ends.
   */
  groups?: { write(line: string): void }
}

/** Passes each line to both listeners. */
export function bothListeners(
  a: CargoRunOptions['onLine'],
  b: CargoRunOptions['onLine']
): CargoRunOptions['onLine'] {
  if (!a) return b
  if (!b) return a
  return (line, from) => {
    a(line, from)
    b(line, from)
  }
}

export function watchCargo(cargo: CargoRunner, watch: WatchOptions): CargoRunner {
  const timers = watch.timers ?? realTimers
  const intervalMs = watch.intervalMs ?? PROGRESS_INTERVAL_MS
  let openSection: object | undefined
  // Sections of commands that ran beside the open one, written once it closes.
  const waiting: string[][] = []
  const flushWaiting = (write: (line: string) => void) => {
    for (const section of waiting.splice(0)) for (const line of section) write(line)
  }
  return async (args, options = {}) => {
    const label = commandLabel(args)
    const start = watch.now()
    let activity: string | undefined
    const run = {}
    const held: string[] = []
    const title = `cargo ${args.join(' ')}`
    if (watch.groups && openSection === undefined) {
      openSection = run
      watch.groups.write(`::group::${title}`)
    }
    const onLine = (line: string) => {
      activity = cargoActivity(line) ?? activity
      if (!watch.groups) return
      if (openSection === run) watch.groups.write(line)
      else held.push(line)
    }
    const ticker = timers.setInterval(
      () => watch.progress(progressLine(label, activity, watch.now() - start)),
      intervalMs
    )
    try {
      return await cargo(args, { ...options, onLine: bothListeners(options.onLine, onLine) })
    } finally {
      timers.clearInterval(ticker)
      if (watch.groups) {
        const write = watch.groups.write.bind(watch.groups)
        if (openSection === run) {
          write('::endgroup::')
          openSection = undefined
          flushWaiting(write)
        } else {
          waiting.push([`::group::${title}`, ...held, '::endgroup::'])
          if (openSection === undefined) flushWaiting(write)
        }
      }
    }
  }
}
