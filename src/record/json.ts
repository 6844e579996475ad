import { readFile, stat } from 'node:fs/promises'

/** Receipts are a few KiB; a file this big is not one and is not worth parsing. */
export const MAX_RECORD_BYTES = 1024 * 1024

export type JsonFileResult =
  { kind: 'missing' } | { kind: 'invalid'; problem: string } | { kind: 'ok'; value: unknown }

/** Reads a small JSON record; every problem becomes a value, only the absence is distinguished. */
export async function readJsonFile(
  path: string,
  maxBytes = MAX_RECORD_BYTES
): Promise<JsonFileResult> {
  let text: string
  try {
    const info = await stat(path)
    if (info.size > maxBytes) {
      return {
        kind: 'invalid',
        problem: `oversized: ${info.size} bytes, more than the ${maxBytes}-byte limit`
      }
    }
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' }
    return { kind: 'invalid', problem: `unreadable: ${(error as Error).message}` }
  }
  return parseJsonText(text)
}

export function parseJsonText(text: string): JsonFileResult {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { kind: 'invalid', problem: `not valid JSON (${(error as Error).message})` }
  }
  const duplicate = duplicateKey(text)
  if (duplicate !== undefined) {
    return { kind: 'invalid', problem: `duplicate key ${JSON.stringify(duplicate)}` }
  }
  return { kind: 'ok', value }
}

/**
 * The first key that appears twice in one object of valid JSON text. JSON.parse keeps the last
 * value, so `"passed": false, "passed": true` would read as passed; a record must never be
 * ambiguous.
 */
export function duplicateKey(text: string): string | undefined {
  // One set of keys per open object; null for an open array.
  const open: (Set<string> | null)[] = []
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '{') open.push(new Set())
    else if (c === '[') open.push(null)
    else if (c === '}' || c === ']') open.pop()
    else if (c === '"') {
      let end = i + 1
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1
      const keys = open[open.length - 1]
      let next = end + 1
      while (/\s/.test(text[next] ?? '')) next++
      if (keys && text[next] === ':') {
        const key = JSON.parse(text.slice(i, end + 1)) as string
        if (keys.has(key)) return key
        keys.add(key)
      }
      i = end
    }
  }
  return undefined
}

/** The first zod issue as one line naming the field. */
export function describeIssue(
  issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>
): string {
  const issue = issues[0]
  if (!issue) return 'does not match the schema'
  const where = issue.path.map(String).join('.')
  return where ? `field '${where}' is invalid: ${issue.message}` : issue.message
}

/** Reading a record of the state dir: not there, there but not valid, or valid. */
export type ReadRecord<T> =
  { kind: 'missing' } | { kind: 'invalid'; problem: string } | { kind: 'ok'; receipt: T }
