import { createHash } from 'node:crypto'
import { gunzipSync } from 'node:zlib'

const BLOCK = 512

function text(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length)
  const end = raw.indexOf(0)
  return raw.subarray(0, end === -1 ? raw.length : end).toString('utf8')
}

function octal(block: Buffer, start: number, length: number): number {
  const value = text(block, start, length).trim()
  return value === '' ? 0 : parseInt(value, 8)
}

/** The `path` record of a pax extended header, if any. */
function paxPath(data: Buffer): string | undefined {
  let at = 0
  while (at < data.length) {
    const space = data.indexOf(0x20, at)
    if (space === -1) break
    const length = parseInt(data.subarray(at, space).toString('utf8'), 10)
    if (!(length > 0)) break
    const record = data.subarray(space + 1, at + length - 1).toString('utf8')
    const eq = record.indexOf('=')
    if (record.slice(0, eq) === 'path') return record.slice(eq + 1)
    at += length
  }
  return undefined
}

/**
 * The sha256 of every regular file in a `.crate` (a gzipped tar whose entries all lie under
 * `<name>-<version>/`), keyed by the path below that folder. Long names come as GNU `L` entries
 * or pax headers, both of which cargo's tar writer may use.
 */
export function crateFileHashes(crate: Buffer): Map<string, string> {
  const tar = gunzipSync(crate)
  const files = new Map<string, string>()
  let longName: string | undefined
  for (let at = 0; at + BLOCK <= tar.length;) {
    const header = tar.subarray(at, at + BLOCK)
    if (header.every(b => b === 0)) break
    const size = octal(header, 124, 12)
    const type = String.fromCharCode(header[156] ?? 0)
    const data = tar.subarray(at + BLOCK, at + BLOCK + size)
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK
    if (type === 'L') {
      longName = text(data, 0, data.length)
      continue
    }
    if (type === 'x') {
      longName = paxPath(data) ?? longName
      continue
    }
    const prefix = text(header, 345, 155)
    const name = longName ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100))
    longName = undefined
    if (type !== '0' && type !== '\0') continue
    const path = name.slice(name.indexOf('/') + 1)
    files.set(path, createHash('sha256').update(data).digest('hex'))
  }
  return files
}
