import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { gunzipSync } from 'node:zlib'

/** One file of a `.crate`, its path relative to the `name-version/` folder. */
export interface ArchiveFile {
  path: string
  sha256: string
  /** The tar header's permission bits, e.g. `644`. */
  mode: string
}

const BLOCK = 512

/**
 * The files of a `.crate` (a gzipped tar with one top folder, as cargo writes it: ustar or GNU
 * headers, GNU long names, pax `path` records). Only regular files are returned.
 */
export async function readCrateFiles(path: string): Promise<ArchiveFile[]> {
  return crateFiles(await readFile(path))
}

/** The files of a `.crate` held in memory (see readCrateFiles). */
export function crateFiles(crate: Buffer): ArchiveFile[] {
  const tar = gunzipSync(crate)
  const files: ArchiveFile[] = []
  let longName: string | undefined
  for (let at = 0; at + BLOCK <= tar.length;) {
    const header = tar.subarray(at, at + BLOCK)
    if (header.every(b => b === 0)) break
    const size = octal(header.subarray(124, 136))
    const type = String.fromCharCode(header[156] as number)
    const body = tar.subarray(at + BLOCK, at + BLOCK + size)
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK
    if (type === 'L') {
      longName = cString(body)
      continue
    }
    if (type === 'x') {
      longName = paxPath(body.toString('utf8')) ?? longName
      continue
    }
    const prefix = cString(header.subarray(345, 500))
    const short = cString(header.subarray(0, 100))
    const name = longName ?? (prefix && isUstar(header) ? `${prefix}/${short}` : short)
    longName = undefined
    if (type !== '0' && type !== '\0') continue
    files.push({
      path: name.slice(name.indexOf('/') + 1),
      sha256: createHash('sha256').update(body).digest('hex'),
      mode: (octal(header.subarray(100, 108)) & 0o777).toString(8)
    })
  }
  return files
}

function octal(field: Buffer): number {
  const text = cString(field).trim()
  return text ? parseInt(text, 8) : 0
}

function cString(field: Buffer): string {
  const end = field.indexOf(0)
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8')
}

function isUstar(header: Buffer): boolean {
  return header.subarray(257, 263).toString('latin1') === 'ustar\0'
}

/** A pax extended header's `path` record (`LEN path=VALUE\n`). */
function paxPath(text: string): string | undefined {
  for (const record of text.split('\n')) {
    const match = /^\d+ path=(.*)$/s.exec(record)
    if (match) return match[1]
  }
  return undefined
}
