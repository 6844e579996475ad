/**
 * The registry's files, mirrored in memory:
 *   index/<1|2|3/x|ab/cd>/<name>   the sparse index file, one JSON line per version
 *   crates/<name>/<version>.crate  uploaded archives
 *   meta/<name>.json               description and owners (search and owners endpoints)
 * (`<name>` lowercase.) Every file is written to a temporary name and renamed, so a reader or a
 * crash never sees half a file; callers serialize mutations (see `Mutex`).
 */
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { indexFilePath, parseIndexFile, type IndexEntry } from '../sparse/client.js'
import { canonicalName } from './validate.js'

export interface CrateRecord {
  /** The name as first published. */
  name: string
  entries: IndexEntry[]
  description: string | null
  owners: string[]
}

const metaSchema = z.object({
  name: z.string(),
  description: z.string().nullable().default(null),
  owners: z.array(z.string()).default([])
})

export const DEFAULT_OWNER = 'admin'

/** Serializes async critical sections: one mutation of the registry at a time. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn)
    this.tail = result.catch(() => undefined)
    return result
  }
}

async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  await writeFile(tmp, data)
  await rename(tmp, path)
}

async function listFiles(dir: string): Promise<string[]> {
  let names: import('node:fs').Dirent[]
  try {
    names = await readdir(dir, { withFileTypes: true })
  } catch {
    return []
  }
  const out: string[] = []
  for (const d of names) {
    const p = join(dir, d.name)
    if (d.isDirectory()) out.push(...(await listFiles(p)))
    else if (d.isFile() && !d.name.endsWith('.tmp')) out.push(p)
  }
  return out
}

export function renderIndexFile(entries: IndexEntry[]): string {
  return entries.map(e => JSON.stringify(e)).join('\n') + (entries.length ? '\n' : '')
}

export class Storage {
  private readonly crates = new Map<string, CrateRecord>()
  private readonly byCanonical = new Map<string, string>()

  private constructor(readonly dir: string) {}

  static async open(dir: string): Promise<Storage> {
    const storage = new Storage(dir)
    await mkdir(join(dir, 'index'), { recursive: true })
    for (const file of await listFiles(join(dir, 'index'))) {
      const entries = parseIndexFile(await readFile(file, 'utf8'))
      const first = entries?.[0]
      if (!entries || !first) continue
      const key = first.name.toLowerCase()
      let meta: z.infer<typeof metaSchema> | undefined
      try {
        const parsed = metaSchema.safeParse(
          JSON.parse(await readFile(join(dir, 'meta', `${key}.json`), 'utf8'))
        )
        if (parsed.success) meta = parsed.data
      } catch {
        meta = undefined
      }
      storage.remember({
        name: meta?.name ?? first.name,
        entries,
        description: meta?.description ?? null,
        owners: meta?.owners.length ? meta.owners : [DEFAULT_OWNER]
      })
    }
    return storage
  }

  private remember(record: CrateRecord): void {
    this.crates.set(record.name.toLowerCase(), record)
    this.byCanonical.set(canonicalName(record.name), record.name.toLowerCase())
  }

  /** By name up to case (the index file a name maps to). */
  get(name: string): CrateRecord | undefined {
    return this.crates.get(name.toLowerCase())
  }

  /** By name up to case and `-`/`_` (crates.io's notion of the same crate). */
  getCanonical(name: string): CrateRecord | undefined {
    const key = this.byCanonical.get(canonicalName(name))
    return key === undefined ? undefined : this.crates.get(key)
  }

  all(): CrateRecord[] {
    return [...this.crates.values()]
  }

  cratePath(name: string, version: string): string {
    return join(this.dir, 'crates', name.toLowerCase(), `${version}.crate`)
  }

  async readCrate(name: string, version: string): Promise<Buffer | null> {
    if (!this.get(name)?.entries.some(e => e.vers === version)) return null
    try {
      return await readFile(this.cratePath(name, version))
    } catch {
      return null
    }
  }

  /** Stores the archive, then the index line: a listed version can always be downloaded. */
  async addVersion(entry: IndexEntry, crate: Uint8Array, description: string | null) {
    await writeAtomic(this.cratePath(entry.name, entry.vers), crate)
    const existing = this.get(entry.name)
    const record: CrateRecord = existing
      ? { ...existing, entries: [...existing.entries, entry] }
      : { name: entry.name, entries: [entry], description, owners: [DEFAULT_OWNER] }
    if (description) record.description = description
    await this.persist(record)
  }

  async setYanked(name: string, version: string, yanked: boolean): Promise<boolean> {
    const record = this.get(name)
    if (!record?.entries.some(e => e.vers === version)) return false
    await this.persist({
      ...record,
      entries: record.entries.map(e => (e.vers === version ? { ...e, yanked } : e))
    })
    return true
  }

  async setOwners(name: string, owners: string[]): Promise<void> {
    const record = this.get(name)
    if (record) await this.persist({ ...record, owners })
  }

  private async persist(record: CrateRecord): Promise<void> {
    const key = record.name.toLowerCase()
    await writeAtomic(join(this.dir, 'index', indexFilePath(key)), renderIndexFile(record.entries))
    await writeAtomic(
      join(this.dir, 'meta', `${key}.json`),
      JSON.stringify({ name: record.name, description: record.description, owners: record.owners })
    )
    this.remember(record)
  }
}
