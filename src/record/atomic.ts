import { mkdir, open, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'

/**
 * Writes `text` so that readers see either the old file or the complete new one, never a torn
 * file: write `<path>.tmp` in the same directory (rename is only atomic within a filesystem),
 * fsync it, rename it over `path`, then fsync the directory so the rename survives a crash.
 */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path)
  await mkdir(dir, { recursive: true })
  const tmp = `${path}.tmp`
  const handle = await open(tmp, 'w')
  try {
    await handle.writeFile(text, 'utf8')
    await handle.sync()
  } catch (error) {
    await handle.close()
    await rm(tmp, { force: true })
    throw error
  }
  await handle.close()
  try {
    await rename(tmp, path)
  } catch (error) {
    await rm(tmp, { force: true })
    throw error
  }
  await syncDirectory(dir)
}

/** Pretty JSON (2 spaces, trailing newline), written atomically; key order is the value's own. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeTextAtomic(path, `${JSON.stringify(value, null, 2)}\n`)
}

async function syncDirectory(dir: string): Promise<void> {
  // Some platforms (Windows) and filesystems refuse to open or fsync a directory; the rename
  // itself already happened, so durability of the directory entry is best effort there.
  try {
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    return
  }
}
