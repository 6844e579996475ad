import { expect } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Options } from '../../src/options/types.js'
import type { Event } from '../../src/record/events.js'
import { readEventLines, readFactLines, testOptions } from '../helpers/options.js'
import { rehearsalReceiptSchema, type RehearsalReceipt } from '../../src/record/rehearsal.js'

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'rehearse')

/** Options as the action's defaults would give them, for a manifest. */
export function rehearseOptions(manifestPath: string, overrides: Partial<Options> = {}): Options {
  return testOptions(manifestPath, overrides)
}

/** rehearsal.json validated against the record schema, with shipper's nine fields first. */
export function readReceipt(stateDir: string): RehearsalReceipt {
  const raw = JSON.parse(readFileSync(join(stateDir, 'rehearsal.json'), 'utf8')) as Record<
    string,
    unknown
  >
  expect(Object.keys(raw).slice(0, 9)).toEqual([
    'schema_version',
    'plan_id',
    'registry',
    'passed',
    'packages_attempted',
    'packages_published',
    'summary',
    'started_at',
    'completed_at'
  ])
  return rehearsalReceiptSchema.parse(raw)
}

export function eventTypes(events: Event[]): string[] {
  return events.map(e => e.event_type.type)
}

export { readEventLines, readFactLines }
