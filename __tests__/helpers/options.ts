import { expect } from '@jest/globals'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Options } from '../../src/options/types.js'
import { eventSchema, factSchema, type Event, type Fact } from '../../src/record/events.js'
import { FACTS_FILE } from '../../src/record/facts.js'
import { expectShipperReadable } from './shipper-reader.js'

/**
 * Options as the action's defaults give them, for a manifest, with what tests need changed: no
 * cache service and shorter waits. Each suite overrides the rest.
 */
export function testOptions(manifestPath: string, overrides: Partial<Options> = {}): Options {
  return {
    mode: 'rehearse',
    manifestPath,
    packages: [],
    registryUrl: '',
    registryName: 'rehearsal',
    registryToken: '',
    registryWaitMs: 10_000,
    registryUser: 'admin',
    registryPassword: 'admin',
    smokeInstall: [],
    smokeBuild: false,
    skipRehearsal: false,
    stateDir: '.shipper',
    artifactName: 'shipper-rehearsal',
    retentionDays: undefined,
    rehearsalRunId: undefined,
    githubToken: '',
    statusCheck: false,
    targetRegistry: 'crates-io',
    targetRegistryUrl: '',
    token: '',
    trustedPublishing: 'auto',
    dryRun: false,
    maxConcurrency: 4,
    readinessTimeoutMs: 30_000,
    maxAttempts: 6,
    retryBaseMs: 2000,
    retryMaxMs: 120_000,
    bind: 'content',
    // The engine tests exercise the verification build; `auto` is tested on its own.
    verify: 'always',
    cache: false,
    allowDirty: false,
    configPath: undefined,
    ...overrides
  }
}

/**
 * Every line of events.jsonl, each read by shipper's own strict reader (any line shipper would
 * reject fails the test) and validated against the record schema and shipper's key order.
 */
export function readEventLines(path: string): Event[] {
  const text = readFileSync(path, 'utf8')
  expectShipperReadable(path)
  // A run that recorded only facts of ours leaves shipper's log empty.
  if (text === '') return []
  expect(text.endsWith('\n')).toBe(true)
  return text
    .trimEnd()
    .split('\n')
    .map(line => {
      const raw = JSON.parse(line) as Record<string, unknown>
      expect(Object.keys(raw)).toEqual(['timestamp', 'event_type', 'package'])
      return eventSchema.parse(raw)
    })
}

/** Every line of the facts file beside the events.jsonl at `eventsPath` (none when it is absent). */
export function readFactLines(eventsPath: string): Fact[] {
  const path = join(dirname(eventsPath), FACTS_FILE)
  if (!existsSync(path)) return []
  const text = readFileSync(path, 'utf8')
  expect(text.endsWith('\n')).toBe(true)
  return text
    .trimEnd()
    .split('\n')
    .map(line => factSchema.parse(JSON.parse(line)))
}
