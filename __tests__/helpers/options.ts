import { expect } from '@jest/globals'
import { readFileSync } from 'node:fs'
import type { Options } from '../../src/options/types.js'
import { eventSchema, type Event } from '../../src/record/events.js'

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
    cache: false,
    allowDirty: false,
    configPath: undefined,
    ...overrides
  }
}

/** Every line of events.jsonl, each validated against the record schema and shipper's key order. */
export function readEventLines(path: string): Event[] {
  const text = readFileSync(path, 'utf8')
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
