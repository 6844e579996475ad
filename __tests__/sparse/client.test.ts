import { describe, expect, it } from '@jest/globals'
import { fakeClock } from '../../src/clock.js'
import {
  fetchIndexEntries,
  fetchRegistryConfig,
  IndexError,
  indexBaseUrl,
  indexFilePath,
  parseIndexFile,
  waitForVersion
} from '../../src/sparse/client.js'

const INDEX = 'sparse+http://registry.test/api/v1/crates/'

function line(vers: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    name: 'demo',
    vers,
    deps: [],
    cksum: `sum-${vers}`,
    features: {},
    yanked: false,
    ...extra
  })
}

interface Call {
  url: string
  headers: Record<string, string>
}

/** A fetch that answers from a list of canned responses (or errors), recording each call. */
function scriptedFetch(answers: Array<Response | Error | (() => Response)>) {
  const calls: Call[] = []
  const fn = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), headers: { ...(init?.headers as Record<string, string>) } })
    const next = answers.length > 1 ? answers.shift() : answers[0]
    if (next instanceof Error) throw next
    if (typeof next === 'function') return next()
    return (next as Response).clone()
  }) as typeof fetch
  return { fn, calls }
}

const text = (body: string, status = 200) => new Response(body, { status })

describe('indexFilePath', () => {
  it.each([
    ['a', '1/a'],
    ['ab', '2/ab'],
    ['abc', '3/a/abc'],
    ['abcd', 'ab/cd/abcd'],
    ['Serde_Json', 'se/rd/serde_json'],
    ['X-Y', '3/x/x-y']
  ])('maps %s to %s', (name, path) => {
    expect(indexFilePath(name)).toBe(path)
  })

  it('refuses names that could escape the index', () => {
    expect(() => indexFilePath('../etc')).toThrow(/not a crate name/)
    expect(() => indexFilePath('')).toThrow(/not a crate name/)
  })
})

describe('indexBaseUrl', () => {
  it('accepts the sparse+ form and a missing trailing slash', () => {
    expect(indexBaseUrl('sparse+http://h/api/v1/crates')).toBe('http://h/api/v1/crates/')
    expect(indexBaseUrl('http://h/api/v1/crates/')).toBe('http://h/api/v1/crates/')
  })
})

describe('parseIndexFile', () => {
  it('skips a malformed line and keeps the others, tolerating unknown fields', () => {
    const entries = parseIndexFile(
      [line('1.0.0', { future_field: 1 }), '{not json', '{"name":"demo"}', line('1.1.0')].join('\n')
    )
    expect(entries?.map(e => e.vers)).toEqual(['1.0.0', '1.1.0'])
    expect(entries?.[0]).toMatchObject({ future_field: 1 })
  })

  it('fills defaults cargo assumes for absent fields', () => {
    const [entry] =
      parseIndexFile(
        JSON.stringify({
          name: 'demo',
          vers: '1.0.0',
          cksum: 'x',
          deps: [{ name: 'd', req: '^1' }]
        })
      ) ?? []
    expect(entry).toMatchObject({ yanked: false, features: {} })
    expect(entry?.deps[0]).toMatchObject({ optional: false, default_features: true, features: [] })
  })

  it('says a body with no parseable line is not an index file', () => {
    expect(parseIndexFile('garbage\nmore garbage')).toBeNull()
    expect(parseIndexFile('')).toEqual([])
  })
})

describe('fetchIndexEntries', () => {
  it('fetches the prefix path under the index root and sends the token raw', async () => {
    const { fn, calls } = scriptedFetch([text(line('1.0.0'))])
    const entries = await fetchIndexEntries(INDEX, 'Demo', { fetch: fn, token: 'secret' })
    expect(entries?.map(e => e.vers)).toEqual(['1.0.0'])
    expect(calls[0]?.url).toBe('http://registry.test/api/v1/crates/de/mo/demo')
    expect(calls[0]?.headers.authorization).toBe('secret')
    expect(calls[0]?.headers['if-none-match']).toBeUndefined()
  })

  it.each([404, 410, 451])('reads %i as an unknown crate', async status => {
    const { fn } = scriptedFetch([text('nope', status)])
    await expect(fetchIndexEntries(INDEX, 'demo', { fetch: fn })).resolves.toBeNull()
  })

  it('throws an IndexError naming the URL and status for other failures', async () => {
    const { fn } = scriptedFetch([text('overloaded', 503)])
    const error = await fetchIndexEntries(INDEX, 'demo', { fetch: fn }).catch(e => e)
    expect(error).toBeInstanceOf(IndexError)
    expect(error.status).toBe(503)
    expect(error.message).toContain('http://registry.test/api/v1/crates/de/mo/demo')
    expect(error.message).toContain('503')
  })

  it('refuses an HTML page served with 200', async () => {
    const { fn } = scriptedFetch([text('<!doctype html><html>kellnr</html>')])
    await expect(fetchIndexEntries(INDEX, 'demo', { fetch: fn })).rejects.toThrow(
      /not a sparse index file/
    )
  })

  it('turns a network failure into an IndexError with status 0', async () => {
    const { fn } = scriptedFetch([new TypeError('fetch failed')])
    const error = await fetchIndexEntries(INDEX, 'demo', { fetch: fn }).catch(e => e)
    expect(error).toBeInstanceOf(IndexError)
    expect(error.status).toBe(0)
  })
})

describe('fetchRegistryConfig', () => {
  it('reads dl, api and auth-required', async () => {
    const { fn, calls } = scriptedFetch([
      text(JSON.stringify({ dl: 'http://h/dl', api: 'http://h', 'auth-required': true }))
    ])
    await expect(fetchRegistryConfig('http://h/api/v1/crates', { fetch: fn })).resolves.toEqual({
      dl: 'http://h/dl',
      api: 'http://h',
      'auth-required': true
    })
    expect(calls[0]?.url).toBe('http://h/api/v1/crates/config.json')
  })

  it('says a 200 HTML page is not a cargo registry', async () => {
    const { fn } = scriptedFetch([text('<html>web ui</html>')])
    await expect(fetchRegistryConfig(INDEX, { fetch: fn })).rejects.toThrow(/not a cargo registry/)
  })

  it('throws an IndexError with the status when refused', async () => {
    const { fn } = scriptedFetch([text('{"errors":[]}', 401)])
    await expect(fetchRegistryConfig(INDEX, { fetch: fn })).rejects.toMatchObject({ status: 401 })
  })
})

describe('waitForVersion', () => {
  it('returns at once when the version is already listed', async () => {
    const clock = fakeClock()
    const { fn } = scriptedFetch([text(line('1.0.0'))])
    const result = await waitForVersion(INDEX, 'demo', '1.0.0', {
      clock,
      timeoutMs: 5000,
      fetch: fn
    })
    expect(result).toMatchObject({ visible: true, attempts: 1, durationMs: 0 })
    expect(result.entry?.cksum).toBe('sum-1.0.0')
    expect(clock.sleeps).toEqual([])
  })

  it('backs off exponentially from a short first delay up to the cap', async () => {
    const clock = fakeClock()
    const polls: Array<[number, boolean]> = []
    const { fn } = scriptedFetch([
      text('', 404),
      text(line('0.9.0')),
      new TypeError('connection reset'),
      text('busy', 503),
      text(line('0.9.0')),
      text(line('0.9.0')),
      text([line('0.9.0'), line('1.0.0')].join('\n'))
    ])
    const result = await waitForVersion(INDEX, 'demo', '1.0.0', {
      clock,
      timeoutMs: 60_000,
      fetch: fn,
      firstDelayMs: 100,
      maxDelayMs: 1000,
      onPoll: (attempt, visible) => polls.push([attempt, visible])
    })
    expect(clock.sleeps).toEqual([100, 200, 400, 800, 1000, 1000])
    expect(result).toMatchObject({ visible: true, attempts: 7, durationMs: 3500 })
    expect(polls.at(-1)).toEqual([7, true])
    expect(polls.slice(0, -1).every(([, v]) => !v)).toBe(true)
  })

  it('gives up at the timeout on the injected clock, polling once more at the deadline', async () => {
    const clock = fakeClock()
    const { fn, calls } = scriptedFetch([text('', 404)])
    const result = await waitForVersion(INDEX, 'demo', '1.0.0', {
      clock,
      timeoutMs: 1000,
      fetch: fn
    })
    expect(result).toMatchObject({ visible: false, durationMs: 1000 })
    expect(clock.sleeps).toEqual([100, 200, 400, 300])
    expect(calls).toHaveLength(5)
    expect(result.attempts).toBe(5)
  })

  it('stops at once when the version is listed with another checksum', async () => {
    const clock = fakeClock()
    const { fn } = scriptedFetch([text(line('1.0.0'))])
    const result = await waitForVersion(INDEX, 'demo', '1.0.0', {
      clock,
      timeoutMs: 60_000,
      fetch: fn,
      cksum: 'expected-sum'
    })
    expect(result).toMatchObject({ visible: false, cksumMismatch: true, attempts: 1 })
    expect(result.entry?.cksum).toBe('sum-1.0.0')
  })

  it('accepts the version when its checksum matches', async () => {
    const clock = fakeClock()
    const { fn } = scriptedFetch([text(line('1.0.0'))])
    const result = await waitForVersion(INDEX, 'demo', '1.0.0', {
      clock,
      timeoutMs: 1000,
      fetch: fn,
      cksum: 'sum-1.0.0'
    })
    expect(result.visible).toBe(true)
    expect(result.cksumMismatch).toBeUndefined()
  })
})
