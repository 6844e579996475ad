import type { Clock } from '../clock.js'
import { fetchIndexEntries, type IndexEntry } from '../sparse/client.js'
import { mapLimit } from '../util/concurrency.js'

/** One crate's index file as read: its entries (null = the registry does not know the crate), or why it could not be read. */
export type IndexRead = { entries: IndexEntry[] | null } | { error: Error }

export interface SnapshotRetry {
  /** Reads per crate before it counts as unreadable. */
  maxAttempts: number
  clock: Clock
  /** Pause before read `attempt + 1` of a crate whose read `attempt` failed. */
  delayMs: (attempt: number) => number
  onRetry?: (name: string, error: Error, delayMs: number) => void
  /** Errors no retry can change (a host that does not resolve): the read fails at once. */
  final?: (error: Error) => boolean
}

export interface SnapshotOptions {
  /** Index files read at once; 8 by default. */
  concurrency?: number
  /** Without it, a failed read is final. */
  retry?: SnapshotRetry
}

/**
 * What one phase knows of a registry's index: each crate's index file read once, so every check of
 * the phase (what is there already, the preview, the dropped dev-dependency edges) sees the same
 * answer without asking again.
 */
export class IndexSnapshot {
  constructor(private readonly reads: ReadonlyMap<string, IndexRead>) {}

  /** The crate's read; undefined when the snapshot did not ask for it. */
  read(name: string): IndexRead | undefined {
    return this.reads.get(name)
  }

  /** The first of `names` (all crates read, by default) whose index file could not be read. */
  firstFailure(
    names: Iterable<string> = this.reads.keys()
  ): { name: string; error: Error } | undefined {
    for (const name of names) {
      const read = this.reads.get(name)
      if (read && 'error' in read) return { name, error: read.error }
    }
    return undefined
  }

  /** The crate's index entries; null when the registry does not know it, or it was not read. */
  entries(name: string): IndexEntry[] | null {
    const read = this.reads.get(name)
    return read && 'entries' in read ? read.entries : null
  }

  /** Versions cargo may resolve (not yanked); null when unread or unreadable. */
  resolvableVersions(name: string): string[] | null {
    const read = this.reads.get(name)
    if (!read || 'error' in read) return null
    return (read.entries ?? []).filter(e => !e.yanked).map(e => e.vers)
  }
}

/** Reads the index file of each named crate once (duplicates asked once), bounded and retried. */
export async function readIndexSnapshot(
  names: Iterable<string>,
  read: (name: string) => Promise<IndexEntry[] | null>,
  options: SnapshotOptions = {}
): Promise<IndexSnapshot> {
  const unique = [...new Set(names)]
  const { retry } = options
  const results = await mapLimit(unique, options.concurrency ?? 8, async name => {
    for (let attempt = 1; ; attempt++) {
      try {
        return { entries: await read(name) }
      } catch (caught) {
        const error = caught instanceof Error ? caught : new Error(String(caught))
        if (!retry || attempt >= retry.maxAttempts || retry.final?.(error)) return { error }
        const delay = retry.delayMs(attempt)
        retry.onRetry?.(name, error, delay)
        await retry.clock.sleep(delay)
      }
    }
  })
  return new IndexSnapshot(new Map(unique.map((name, i) => [name, results[i] as IndexRead])))
}

export interface SparseReadOptions {
  fetch?: typeof fetch
  token?: string | undefined
  /** For the whole snapshot; 30 s by default. */
  timeoutMs?: number
}

/** A snapshot of a sparse index over HTTP, without retries (a preview or a warning may not wait). */
export function readSparseSnapshot(
  indexUrl: string,
  names: Iterable<string>,
  options: SparseReadOptions = {}
): Promise<IndexSnapshot> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? 30_000)
  return readIndexSnapshot(names, name =>
    fetchIndexEntries(indexUrl, name, {
      signal,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.token ? { token: options.token } : {})
    })
  )
}
