import { createHash } from 'node:crypto'
import { open, readFile } from 'node:fs/promises'

/** sha256 and length of a file as it is now. */
export async function fileEvidence(path: string): Promise<{ sha256: string; bytes: number }> {
  const bytes = await readFile(path)
  return { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length }
}

/**
 * sha256 of a file's first `bytes` bytes; undefined when it is shorter. events.jsonl is
 * append-only: a publish appends its own events after the rehearsal's, which stay as they were.
 */
export async function prefixSha256(path: string, bytes: number): Promise<string | undefined> {
  const handle = await open(path, 'r')
  try {
    const hash = createHash('sha256')
    const buffer = Buffer.alloc(Math.min(bytes, 1024 * 1024))
    let read = 0
    while (read < bytes) {
      const { bytesRead } = await handle.read(
        buffer,
        0,
        Math.min(buffer.length, bytes - read),
        read
      )
      if (bytesRead === 0) return undefined
      hash.update(buffer.subarray(0, bytesRead))
      read += bytesRead
    }
    return hash.digest('hex')
  } finally {
    await handle.close()
  }
}
