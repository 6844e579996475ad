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
  try {
    return { kind: 'ok', value: JSON.parse(text) }
  } catch (error) {
    return { kind: 'invalid', problem: `not valid JSON (${(error as Error).message})` }
  }
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
