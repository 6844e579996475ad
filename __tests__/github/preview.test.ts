import { CRATES_IO } from '../../src/crates-io.js'
import { describe, expect, it } from '@jest/globals'
import {
  CRATES_IO_RATE_LIMITS,
  crateState,
  describeRateLimitWait,
  expectedRateLimitWaitMs,
  releasePreview
} from '../../src/github/preview.js'
import type { Plan } from '../../src/plan/types.js'
import { samplePlan } from './fixtures.js'

const MIN = 60_000

function line(name: string, vers: string, yanked = false): string {
  return JSON.stringify({ name, vers, deps: [], cksum: '0'.repeat(64), features: {}, yanked })
}

/** A live index stand-in: index file path → body; anything else is a 404 (crate unknown). */
function fakeIndex(files: Record<string, string>, requested: string[] = []): typeof fetch {
  return (async (input: string | URL | Request) => {
    const url = String(input)
    requested.push(url)
    const path = url.replace('https://index.crates.io/', '')
    const body = files[path]
    return body === undefined ? new Response('not found', { status: 404 }) : new Response(body)
  }) as typeof fetch
}

function planOf(names: string[], registry = 'crates-io'): Plan {
  const plan = samplePlan()
  return {
    ...plan,
    registry,
    packages: names.map(name => ({ ...(plan.packages[0] as Plan['packages'][number]), name }))
  }
}

describe('expectedRateLimitWaitMs', () => {
  it.each([
    [0, 0, 0],
    [5, 30, 0],
    [6, 0, 10 * MIN],
    [8, 0, 30 * MIN],
    [0, 31, 1 * MIN],
    [0, 40, 10 * MIN],
    [7, 33, 20 * MIN + 3 * MIN]
  ])('%i new crates and %i new versions wait %i ms', (newCrates, newVersions, expected) => {
    expect(expectedRateLimitWaitMs({ newCrates, newVersions })).toBe(expected)
  })

  it('uses the limits it is given', () => {
    const limits = {
      newCrates: { burst: 1, intervalMs: 1000 },
      newVersions: { burst: 0, intervalMs: 10 }
    }
    expect(expectedRateLimitWaitMs({ newCrates: 3, newVersions: 2 }, limits)).toBe(2020)
  })
})

describe('crateState', () => {
  it('calls a crate the index does not know a new crate', () => {
    expect(crateState('a', '1.0.0', null).state).toBe('new-crate')
  })

  it('finds an exact version, and a yanked one, as already published', () => {
    const entries = [JSON.parse(line('a', '1.0.0', true)), JSON.parse(line('a', '1.1.0'))]
    expect(crateState('a', '1.1.0', entries)).toEqual({
      name: 'a',
      version: '1.1.0',
      state: 'already-published'
    })
    expect(crateState('a', '1.0.0', entries)).toEqual({
      name: 'a',
      version: '1.0.0',
      state: 'already-published',
      yanked: true
    })
  })

  it('treats build metadata as the same version, as crates.io does', () => {
    const entries = [JSON.parse(line('a', '1.0.0+one'))]
    expect(crateState('a', '1.0.0+two', entries).state).toBe('already-published')
  })

  it('reports a new version with the last one published', () => {
    const entries = [JSON.parse(line('a', '0.1.0')), JSON.parse(line('a', '0.1.3'))]
    expect(crateState('a', '0.2.0', entries)).toEqual({
      name: 'a',
      version: '0.2.0',
      state: 'new-version',
      lastPublished: '0.1.3'
    })
  })
})

describe('releasePreview', () => {
  it('classifies every planned crate from the live index, in plan order', async () => {
    const requested: string[] = []
    const fetch = fakeIndex(
      {
        'de/mo/demo-core': [line('demo-core', '0.1.0'), line('demo-core', '0.2.0')].join('\n'),
        'de/mo/demo-app': line('demo-app', '0.1.3'),
        '3/c/cli': line('cli', '0.1.3')
      },
      requested
    )
    const preview = await releasePreview(samplePlan(), { liveIndexUrl: CRATES_IO.indexUrl, fetch })
    expect(preview.crates.map(c => [c.name, c.state])).toEqual([
      ['demo-core', 'already-published'],
      ['demo-macros', 'new-crate'],
      ['demo-app', 'new-version'],
      ['cli', 'new-version']
    ])
    expect(preview.counts).toEqual({
      'already-published': 1,
      'new-crate': 1,
      'new-version': 2,
      unknown: 0
    })
    expect(preview.rateLimits).toEqual(CRATES_IO_RATE_LIMITS)
    expect(preview.expectedRateLimitWaitMs).toBe(0)
    expect(preview.notes.join(' ')).toMatch(/demo-macros.*regular API token.*trusted publishing/)
    expect(requested.sort()).toEqual(
      [
        'https://index.crates.io/3/c/cli',
        'https://index.crates.io/de/mo/demo-app',
        'https://index.crates.io/de/mo/demo-core',
        'https://index.crates.io/de/mo/demo-macros'
      ].sort()
    )
  })

  it('expects a wait when new crates exceed the burst', async () => {
    const names = ['aa', 'bb', 'cc', 'dd', 'ee', 'ff', 'gg']
    const preview = await releasePreview(planOf(names), {
      liveIndexUrl: CRATES_IO.indexUrl,
      fetch: fakeIndex({})
    })
    expect(preview.counts['new-crate']).toBe(7)
    expect(preview.expectedRateLimitWaitMs).toBe(20 * MIN)
    expect(describeRateLimitWait(preview)).toBe(
      'about 20 min: 7 new crates: the first 5 at once, then 1 every 10 min (20 min); ' +
        '0 new versions (burst 30). Assumes the account published nothing just before; ' +
        'waits in the two limits are added.'
    )
  })

  it('expects no crates.io rate limits for another live registry', async () => {
    const names = ['aa', 'bb', 'cc', 'dd', 'ee', 'ff', 'gg']
    const preview = await releasePreview(planOf(names, 'company'), {
      liveIndexUrl: 'sparse+https://index.crates.io/',
      fetch: fakeIndex({})
    })
    expect(preview.rateLimits).toBeUndefined()
    expect(preview.expectedRateLimitWaitMs).toBe(0)
    expect(describeRateLimitWait(preview)).toBeUndefined()
  })

  it('marks every crate unknown, with a note, when the index is unreachable', async () => {
    const fetch = (async () => {
      throw new TypeError('fetch failed')
    }) as typeof globalThis.fetch
    const preview = await releasePreview(samplePlan(), { liveIndexUrl: CRATES_IO.indexUrl, fetch })
    expect(preview.crates.every(c => c.state === 'unknown')).toBe(true)
    expect(preview.counts.unknown).toBe(4)
    expect(preview.notes).toHaveLength(1)
    expect(preview.notes[0]).toMatch(/could not be read/)
    expect(describeRateLimitWait(preview)).toMatch(/^unknown/)
  })

  it('marks every crate unknown when the index answers 5xx for one of them', async () => {
    const fetch = (async (input: string | URL | Request) =>
      String(input).endsWith('/cli')
        ? new Response('upstream down', { status: 503 })
        : new Response('nope', { status: 404 })) as typeof globalThis.fetch
    const preview = await releasePreview(samplePlan(), { liveIndexUrl: CRATES_IO.indexUrl, fetch })
    expect(preview.crates.map(c => c.state)).toEqual(['unknown', 'unknown', 'unknown', 'unknown'])
    expect(preview.notes[0]).toMatch(/503/)
  })

  it('sends the token to a private live index', async () => {
    const seen: (string | null)[] = []
    const fetch = (async (_input: string | URL | Request, init?: RequestInit) => {
      seen.push(new Headers(init?.headers).get('authorization'))
      return new Response('', { status: 404 })
    }) as typeof globalThis.fetch
    await releasePreview(planOf(['aa']), {
      liveIndexUrl: 'sparse+https://reg.example/index/',
      fetch,
      token: 'secret-token'
    })
    expect(seen).toEqual(['secret-token'])
  })
})
