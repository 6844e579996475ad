import { expect } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { readAsShipper } from '../helpers/shipper-reader.js'
import { CRATES } from '../publish/helpers.js'

/** Every version of the publish fixture, as the registry counts uploads. */
export const ALL_VERSIONS = CRATES.map(name => `${name}@0.1.0`)

/**
 * cargo waits up to 60 s for the index after every upload, and only a nightly setting turns that
 * off. Tests about the engine's own readiness wait (or that need cargo gone right after its upload)
 * skip cargo's wait with it.
 */
export const NO_CARGO_INDEX_WAIT: Record<string, string> = {
  __CARGO_TEST_CHANNEL_OVERRIDE_DO_NOT_USE_THIS: 'nightly',
  CARGO_UNSTABLE_PUBLISH_TIMEOUT: 'true',
  CARGO_PUBLISH_TIMEOUT: '0'
}

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/

export interface RawEvent {
  timestamp: string
  event_type: { type: string } & Record<string, unknown>
  package: string
}

/**
 * The torn-line check: the file ends with a newline and every line is one JSON object with exactly
 * `timestamp`, `event_type` (whose first key is `type`) and `package`, in that order.
 */
export function expectIntactEvents(path: string): RawEvent[] {
  expect(existsSync(path)).toBe(true)
  const text = readFileSync(path, 'utf8')
  expect(text.length).toBeGreaterThan(0)
  expect(text.endsWith('\n')).toBe(true)
  // Shipper's strict reader: a killed or faulted run must still leave a file shipper can read.
  readAsShipper(text)
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, index) => {
      let value: RawEvent
      try {
        value = JSON.parse(line) as RawEvent
      } catch {
        throw new Error(`events.jsonl line ${index + 1} is torn: ${line.slice(0, 200)}`)
      }
      expect(Object.keys(value)).toEqual(['timestamp', 'event_type', 'package'])
      expect(value.timestamp).toMatch(RFC3339_UTC)
      expect(Object.keys(value.event_type)[0]).toBe('type')
      expect(typeof value.event_type.type).toBe('string')
      expect(typeof value.package).toBe('string')
      return value
    })
}

export function typesOf(events: RawEvent[]): string[] {
  return events.map(e => e.event_type.type)
}

/**
 * Adds up stored uploads over registry instances (a registry restarted on the same data counts
 * from zero again) and checks each version was stored exactly once, and nothing else was.
 */
export function expectUploadedOnce(
  counts: Record<string, number>[],
  versions: readonly string[] = ALL_VERSIONS
): void {
  const total: Record<string, number> = {}
  for (const c of counts) for (const [k, n] of Object.entries(c)) total[k] = (total[k] ?? 0) + n
  expect(total).toEqual(Object.fromEntries(versions.map(v => [v, 1])))
}

/** Polls a condition on the real clock (these tests watch other processes). */
export async function waitUntil(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 60_000
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/** A process's descendants with their command names, depth first. */
export function descendants(pid: number): { pid: number; comm: string }[] {
  let children: number[]
  try {
    children = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number)
  } catch {
    return []
  }
  return children.flatMap(child => {
    const comm = commandName(child)
    return comm === undefined ? [] : [{ pid: child, comm }, ...descendants(child)]
  })
}

/** A process's command name, or undefined once it is gone. */
function commandName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
  } catch {
    return undefined
  }
}

/**
 * SIGKILLs a process group started detached, and the groups of its descendants: cargo runs in a
 * process group of its own, which a SIGKILL of its parent's group does not reach. A group that
 * is gone already is fine.
 */
export function killGroup(pid: number): void {
  const groups = [pid, ...descendants(pid).map(p => p.pid)]
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL')
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'ESRCH' && code !== 'EPERM') throw error
    }
  }
}

/** Whether `text` contains any of the secrets, and which. */
export function leaked(text: string, secrets: readonly string[]): string[] {
  return secrets.filter(s => text.includes(s))
}
