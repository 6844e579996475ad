import { afterEach, describe, expect, it } from '@jest/globals'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { request as httpRequest, Agent } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fakeClock } from '../../src/clock.js'
import { encodePublishBody, startRegistry } from '../../src/registry/index.js'
import type { EmbeddedRegistry, EmbeddedRegistryOptions } from '../../src/registry/types.js'
import { fetchIndexEntries, fetchRegistryConfig, indexFilePath } from '../../src/sparse/client.js'
import { errorDetail, fakeCrate, publishMetadata, rawPublish, sha256 } from './helpers.js'

const open: EmbeddedRegistry[] = []
const dirs: string[] = []

async function start(options: EmbeddedRegistryOptions = {}): Promise<EmbeddedRegistry> {
  const registry = await startRegistry(options)
  open.push(registry)
  return registry
}

afterEach(async () => {
  await Promise.all(open.splice(0).map(r => r.close()))
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const indexBase = (r: EmbeddedRegistry) => `${r.url}/api/v1/crates/`

async function publishOk(r: EmbeddedRegistry, name: string, vers: string, extra = {}) {
  const res = await rawPublish(r, publishMetadata(name, vers, extra), fakeCrate(`${name}@${vers}`))
  expect([res.status, res.status === 200 ? '' : await res.text()]).toEqual([200, ''])
}

describe('binding and lifecycle', () => {
  it('binds 127.0.0.1 on a free port and builds config.json from the bound address', async () => {
    const a = await start()
    const b = await start()
    expect(a.port).toBeGreaterThan(0)
    expect(a.port).not.toBe(b.port)
    expect(a.url).toBe(`http://127.0.0.1:${a.port}`)
    expect(a.indexUrl).toBe(`sparse+http://127.0.0.1:${a.port}/api/v1/crates/`)
    await expect(fetchRegistryConfig(a.indexUrl)).resolves.toEqual({
      dl: `http://127.0.0.1:${a.port}/api/v1/crates/dl`,
      api: `http://127.0.0.1:${a.port}`,
      'auth-required': false
    })
  })

  it('answers the health check with 200 OK', async () => {
    const r = await start()
    const res = await fetch(`${r.url}/api/v1/health`)
    expect([res.status, await res.text()]).toEqual([200, 'OK'])
  })

  it('close() ends idle keep-alive connections and half-sent requests', async () => {
    const r = await start()
    const agent = new Agent({ keepAlive: true })
    await new Promise<void>((resolve, reject) => {
      httpRequest(`${r.url}/api/v1/health`, { agent }, res => {
        res.resume()
        res.on('end', resolve)
      })
        .on('error', reject)
        .end()
    })
    const stuck = httpRequest(`${r.url}/api/v1/crates/new`, {
      method: 'PUT',
      headers: { 'content-length': '1000' }
    })
    const stuckError = new Promise(resolve => stuck.on('error', resolve))
    stuck.write('partial')
    await new Promise(resolve => setTimeout(resolve, 50))
    const started = Date.now()
    await r.close()
    expect(Date.now() - started).toBeLessThan(1000)
    await expect(stuckError).resolves.toHaveProperty('code', 'ECONNRESET')
    await expect(fetch(`${r.url}/api/v1/health`)).rejects.toThrow()
    agent.destroy()
  })

  it('removes a temporary data directory on close but keeps a given one', async () => {
    const temp = await start()
    expect(existsSync(temp.dataDir)).toBe(true)
    await temp.close()
    expect(existsSync(temp.dataDir)).toBe(false)

    const dir = mkdtempSync(join(tmpdir(), 'sr-data-'))
    dirs.push(dir)
    const kept = await start({ dataDir: dir })
    await kept.close()
    expect(existsSync(dir)).toBe(true)
  })

  it('serves the same crates after a restart on the same data directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sr-data-'))
    dirs.push(dir)
    const first = await start({ dataDir: dir, token: 't' })
    await publishOk(first, 'persist-me', '1.0.0', { description: 'kept across restarts' })
    await publishOk(first, 'persist-me', '1.1.0', { description: 'kept across restarts' })
    await fetch(`${first.url}/api/v1/crates/persist-me/1.0.0/yank`, {
      method: 'DELETE',
      headers: { authorization: 't' }
    })
    await first.close()

    const second = await start({ dataDir: dir, token: 't' })
    const entries = await fetchIndexEntries(second.indexUrl, 'persist-me')
    expect(entries?.map(e => [e.vers, e.yanked])).toEqual([
      ['1.0.0', true],
      ['1.1.0', false]
    ])
    const dl = await fetch(`${second.url}/api/v1/crates/dl/persist-me/1.1.0/download`)
    expect(Buffer.from(await dl.arrayBuffer()).toString()).toBe(
      fakeCrate('persist-me@1.1.0').toString()
    )
    const search = await fetch(`${second.url}/api/v1/crates?q=persist`).then(r => r.json())
    expect(search).toMatchObject({
      crates: [{ name: 'persist-me', description: 'kept across restarts', max_version: '1.1.0' }]
    })
    await publishOk(second, 'persist-me', '1.2.0')
  })
})

describe('sparse index', () => {
  it('serves each crate at the prefix path cargo computes, and a wrong prefix is a 404', async () => {
    const r = await start()
    for (const name of ['a', 'ab', 'abc', 'abcd', 'Mixed_Case']) await publishOk(r, name, '1.0.0')
    for (const name of ['a', 'ab', 'abc', 'abcd', 'Mixed_Case']) {
      const res = await fetch(indexBase(r) + indexFilePath(name))
      expect(res.status).toBe(200)
      expect(JSON.parse(await res.text())).toMatchObject({ name, vers: '1.0.0' })
    }
    for (const wrong of [
      '3/b/abc',
      '1/ab',
      'ab/abcd',
      'ab/abcd/abcd',
      'ab/cd/ABCD',
      'mi/xe/Mixed_Case',
      '2/abc'
    ]) {
      expect([wrong, (await fetch(indexBase(r) + wrong)).status]).toEqual([wrong, 404])
    }
    expect((await fetch(indexBase(r) + 'un/kn/unknown')).status).toBe(404)
  })

  it('lists a version, with the sha256 of the .crate, as soon as the publish returns 200', async () => {
    const r = await start()
    const crate = fakeCrate('visible')
    const res = await rawPublish(r, publishMetadata('quick', '0.1.0'), crate)
    expect(res.status).toBe(200)
    const entries = await fetchIndexEntries(r.indexUrl, 'quick')
    expect(entries).toEqual([
      expect.objectContaining({ vers: '0.1.0', cksum: sha256(crate), yanked: false })
    ])
    const dl = await fetch(`${r.url}/api/v1/crates/dl/quick/0.1.0/download`)
    expect(sha256(Buffer.from(await dl.arrayBuffer()))).toBe(sha256(crate))
  })

  it('answers If-None-Match with 304 only while the file is unchanged', async () => {
    const r = await start({ token: 't' })
    await publishOk(r, 'etagged', '1.0.0')
    const url = indexBase(r) + indexFilePath('etagged')
    const first = await fetch(url)
    const etag = first.headers.get('etag') as string
    expect(etag).toMatch(/^".+"$/)
    expect((await fetch(url, { headers: { 'if-none-match': etag } })).status).toBe(304)

    await fetch(`${r.url}/api/v1/crates/etagged/1.0.0/yank`, {
      method: 'DELETE',
      headers: { authorization: 't' }
    })
    const afterYank = await fetch(url, { headers: { 'if-none-match': etag } })
    expect(afterYank.status).toBe(200)
    expect(JSON.parse(await afterYank.text()).yanked).toBe(true)
    const etag2 = afterYank.headers.get('etag') as string
    expect(etag2).not.toBe(etag)

    await publishOk(r, 'etagged', '1.1.0')
    const afterPublish = await fetch(url, { headers: { 'if-none-match': etag2 } })
    expect(afterPublish.status).toBe(200)
    expect((await afterPublish.text()).trim().split('\n')).toHaveLength(2)
  })
})

describe('auth', () => {
  it('needs a token to publish: 401 without, 403 with a wrong one, in cargo’s error shape', async () => {
    const r = await start({ token: 'right' })
    const none = await rawPublish(r, publishMetadata('guarded', '1.0.0'), fakeCrate('g'), null)
    expect(none.status).toBe(401)
    expect(await errorDetail(none)).toBe('this action requires authentication')
    const wrong = await rawPublish(r, publishMetadata('guarded', '1.0.0'), fakeCrate('g'), 'wrong')
    expect(wrong.status).toBe(403)
    expect(await errorDetail(wrong)).toBe('Invalid authentication token')
    expect(await fetchIndexEntries(r.indexUrl, 'guarded')).toBeNull()
  })

  it('accepts the token raw or as Bearer', async () => {
    const r = await start({ token: 'right' })
    expect(
      (await rawPublish(r, publishMetadata('raw', '1.0.0'), fakeCrate('r'), 'right')).status
    ).toBe(200)
    const bearer = await rawPublish(
      r,
      publishMetadata('bearer', '1.0.0'),
      fakeCrate('b'),
      'Bearer right'
    )
    expect(bearer.status).toBe(200)
  })

  it('needs the token for yank, unyank and owner changes, not for reading owners', async () => {
    const r = await start({ token: 'right' })
    await publishOk(r, 'owned', '1.0.0')
    const yank = (auth?: string) =>
      fetch(`${r.url}/api/v1/crates/owned/1.0.0/yank`, {
        method: 'DELETE',
        headers: auth ? { authorization: auth } : {}
      })
    expect((await yank()).status).toBe(401)
    expect((await yank('nope')).status).toBe(403)
    const unyank = await fetch(`${r.url}/api/v1/crates/owned/1.0.0/unyank`, { method: 'PUT' })
    expect(unyank.status).toBe(401)
    const addOwner = (auth: string) =>
      fetch(`${r.url}/api/v1/crates/owned/owners`, {
        method: 'PUT',
        headers: { authorization: auth },
        body: JSON.stringify({ users: ['octocat'] })
      })
    expect((await addOwner('nope')).status).toBe(403)
    expect((await fetch(`${r.url}/api/v1/crates/owned/owners`)).status).toBe(200)
  })

  describe('auth-required mode', () => {
    it('guards config.json, index files, downloads and search, but not health', async () => {
      const r = await start({ token: 'right', authRequired: true })
      await publishOk(r, 'private', '1.0.0')
      const paths = [
        'api/v1/crates/config.json',
        `api/v1/crates/${indexFilePath('private')}`,
        'api/v1/crates/dl/private/1.0.0/download',
        'api/v1/crates?q=priv',
        'api/v1/crates/private/owners'
      ]
      for (const path of paths) {
        const none = await fetch(`${r.url}/${path}`)
        expect([path, none.status, await errorDetail(none)]).toEqual([
          path,
          401,
          'this action requires authentication'
        ])
        const wrong = await fetch(`${r.url}/${path}`, { headers: { authorization: 'wrong' } })
        expect([path, wrong.status]).toEqual([path, 403])
        const right = await fetch(`${r.url}/${path}`, { headers: { authorization: 'right' } })
        expect([path, right.status]).toEqual([path, 200])
      }
      await expect(fetchRegistryConfig(r.indexUrl, { token: 'right' })).resolves.toMatchObject({
        'auth-required': true
      })
      expect((await fetch(`${r.url}/api/v1/health`)).status).toBe(200)
    })
  })
})

describe('yank, owners, search', () => {
  it('yanks and unyanks a version in the index', async () => {
    const r = await start({ token: 't' })
    await publishOk(r, 'yanky', '1.0.0')
    const call = (method: string, action: string) =>
      fetch(`${r.url}/api/v1/crates/yanky/1.0.0/${action}`, {
        method,
        headers: { authorization: 't' }
      })
    const yanked = await call('DELETE', 'yank')
    expect([yanked.status, await yanked.json()]).toEqual([200, { ok: true }])
    expect((await fetchIndexEntries(r.indexUrl, 'yanky'))?.[0]?.yanked).toBe(true)
    expect((await call('PUT', 'unyank')).status).toBe(200)
    expect((await fetchIndexEntries(r.indexUrl, 'yanky'))?.[0]?.yanked).toBe(false)
    const missing = await fetch(`${r.url}/api/v1/crates/yanky/9.9.9/yank`, {
      method: 'DELETE',
      headers: { authorization: 't' }
    })
    expect(missing.status).toBe(404)
  })

  it('lists, adds and removes owners', async () => {
    const r = await start({ token: 't' })
    await publishOk(r, 'teamwork', '1.0.0')
    const owners = async () =>
      (
        (await fetch(`${r.url}/api/v1/crates/teamwork/owners`).then(x => x.json())) as {
          users: Array<{ login: string }>
        }
      ).users.map(u => u.login)
    expect(await owners()).toEqual(['admin'])
    const change = (method: string, users: string[]) =>
      fetch(`${r.url}/api/v1/crates/teamwork/owners`, {
        method,
        headers: { authorization: 't' },
        body: JSON.stringify({ users })
      })
    const added = await change('PUT', ['octocat'])
    expect(added.status).toBe(200)
    expect(await added.json()).toMatchObject({ ok: true })
    expect(await owners()).toEqual(['admin', 'octocat'])
    expect((await change('DELETE', ['admin'])).status).toBe(200)
    expect(await owners()).toEqual(['octocat'])
  })

  it('searches crates by name with their newest unyanked version', async () => {
    const r = await start({ token: 't' })
    await publishOk(r, 'search-me', '1.0.0', { description: 'findable' })
    await publishOk(r, 'search-me', '1.10.0', { description: 'findable' })
    await publishOk(r, 'search-me', '1.9.0', { description: 'findable' })
    await publishOk(r, 'other', '1.0.0')
    const res = await fetch(`${r.url}/api/v1/crates?q=search_me&per_page=5`).then(x => x.json())
    expect(res).toEqual({
      crates: [{ name: 'search-me', max_version: '1.10.0', description: 'findable' }],
      meta: { total: 1 }
    })
  })

  it('answers unknown paths with a JSON 404', async () => {
    const r = await start()
    const res = await fetch(`${r.url}/nothing/here`)
    expect(res.status).toBe(404)
    expect(await errorDetail(res)).toBe('Not Found')
  })
})

describe('uploads', () => {
  it('refuses a body over 10 MiB with 413 and stores nothing', async () => {
    const r = await start()
    const big = Buffer.alloc(10 * 1024 * 1024 + 1)
    const res = await rawPublish(r, publishMetadata('huge', '1.0.0'), big)
    expect(res.status).toBe(413)
    expect(await errorDetail(res)).toBe('max upload size is: 10485760')
    expect(r.faults.uploads()).toEqual({})
  })

  it('refuses an oversized upload before receiving it when the client sends Expect: 100-continue', async () => {
    const r = await start()
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${r.url}/api/v1/crates/new`, {
        method: 'PUT',
        headers: { expect: '100-continue', 'content-length': String(64 * 1024 * 1024) }
      })
      req.on('response', res => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('continue', () => reject(new Error('the server asked for the body')))
      req.on('error', reject)
      req.flushHeaders()
    })
    expect(status).toBe(413)
  })

  it('reports a truncated body in crates.io words', async () => {
    const r = await start()
    const body = encodePublishBody(publishMetadata('cut', '1.0.0'), fakeCrate('cut'))
    const res = await fetch(`${r.url}/api/v1/crates/new`, {
      method: 'PUT',
      headers: { authorization: r.token },
      body: body.subarray(0, body.length - 3)
    })
    expect(res.status).toBe(400)
    expect(await errorDetail(res)).toMatch(/^invalid tarball length for remaining payload: \d+$/)
  })

  it('publishes different crates and versions concurrently without losing any', async () => {
    const r = await start()
    const jobs = [
      ...Array.from({ length: 12 }, (_, i) => ['many-' + i, '1.0.0'] as const),
      ...Array.from({ length: 8 }, (_, i) => ['same', `1.${i}.0`] as const)
    ]
    const statuses = await Promise.all(
      jobs.map(([n, v]) =>
        rawPublish(r, publishMetadata(n, v), fakeCrate(n + v)).then(x => x.status)
      )
    )
    expect(statuses.every(s => s === 200)).toBe(true)
    for (let i = 0; i < 12; i++) {
      expect((await fetchIndexEntries(r.indexUrl, `many-${i}`))?.map(e => e.vers)).toEqual([
        '1.0.0'
      ])
    }
    const same = await fetchIndexEntries(r.indexUrl, 'same')
    expect(same?.map(e => e.vers).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `1.${i}.0`))
  })

  it('lets concurrent publishes of one version store it exactly once', async () => {
    const r = await start()
    const statuses = await Promise.all(
      Array.from({ length: 5 }, () =>
        rawPublish(r, publishMetadata('race', '1.0.0'), fakeCrate('race')).then(x => x.status)
      )
    )
    expect(statuses.sort()).toEqual([200, 400, 400, 400, 400])
    expect(r.faults.uploads()).toEqual({ 'race@1.0.0': 1 })
  })

  it('accepts in non-strict mode what crates.io would refuse', async () => {
    const r = await start({ strict: false })
    const res = await rawPublish(
      r,
      publishMetadata('loose', '1.0.0', {
        description: null,
        license: null,
        keywords: ['a', 'b', 'c', 'd', 'e', 'f']
      }),
      fakeCrate('loose')
    )
    expect(res.status).toBe(200)
    const dup = await rawPublish(r, publishMetadata('loose', '1.0.0'), fakeCrate('loose'))
    expect(await errorDetail(dup)).toBe('ERROR: Crate with version already exists: loose-1.0.0')
  })
})

describe('fault injection', () => {
  it('delays a version’s visibility on the registry clock', async () => {
    const clock = fakeClock()
    const r = await start({ clock })
    r.faults.delayIndex('slow', '1.0.0', 5000)
    await publishOk(r, 'slow', '0.9.0')
    await publishOk(r, 'slow', '1.0.0')
    expect((await fetchIndexEntries(r.indexUrl, 'slow'))?.map(e => e.vers)).toEqual(['0.9.0'])
    await clock.sleep(4999)
    expect((await fetchIndexEntries(r.indexUrl, 'slow'))?.map(e => e.vers)).toEqual(['0.9.0'])
    await clock.sleep(1)
    expect((await fetchIndexEntries(r.indexUrl, 'slow'))?.map(e => e.vers)).toEqual([
      '0.9.0',
      '1.0.0'
    ])
  })

  it('hides a version (a crate with nothing visible is a 404) until clear()', async () => {
    const r = await start()
    r.faults.hideIndex('Hidden', '1.0.0')
    await publishOk(r, 'hidden', '1.0.0')
    expect(await fetchIndexEntries(r.indexUrl, 'hidden')).toBeNull()
    const dl = await fetch(`${r.url}/api/v1/crates/dl/hidden/1.0.0/download`)
    expect(dl.status).toBe(200)
    r.faults.clear()
    expect((await fetchIndexEntries(r.indexUrl, 'hidden'))?.map(e => e.vers)).toEqual(['1.0.0'])
  })

  it('fails a publish N times with a JSON body, then accepts it', async () => {
    const r = await start()
    r.faults.failPublish('flaky', {
      times: 2,
      status: 503,
      body: { errors: [{ detail: 'try later' }] }
    })
    for (let i = 0; i < 2; i++) {
      const res = await rawPublish(r, publishMetadata('flaky', '1.0.0'), fakeCrate('f'))
      expect(res.status).toBe(503)
      expect(await errorDetail(res)).toBe('try later')
    }
    expect(r.faults.uploads()).toEqual({})
    await publishOk(r, 'flaky', '1.0.0')
    expect(r.faults.uploads()).toEqual({ 'flaky@1.0.0': 1 })
  })

  it('answers 429 with Retry-After in seconds or as an HTTP date', async () => {
    const r = await start()
    r.faults.failPublish('limited', { times: 1, status: 429, retryAfter: 7 })
    const first = await rawPublish(r, publishMetadata('limited', '1.0.0'), fakeCrate('l'))
    expect([first.status, first.headers.get('retry-after')]).toEqual([429, '7'])
    const when = new Date(Date.UTC(2030, 0, 1, 12, 0, 0))
    r.faults.failPublish('limited', { times: 1, status: 429, retryAfter: when, body: 'slow down' })
    const second = await rawPublish(r, publishMetadata('limited', '1.0.0'), fakeCrate('l'))
    expect([second.status, second.headers.get('retry-after'), await second.text()]).toEqual([
      429,
      'Tue, 01 Jan 2030 12:00:00 GMT',
      'slow down'
    ])
    expect(second.headers.get('content-type')).toMatch(/^text\/plain/)
  })

  it('fails index and download requests for one crate with a plain-text body', async () => {
    const r = await start()
    await publishOk(r, 'shaky', '1.0.0')
    await publishOk(r, 'steady', '1.0.0')
    r.faults.failIndex('shaky', { times: 1, status: 500, body: 'index on fire' })
    const err = await fetchIndexEntries(r.indexUrl, 'shaky').catch(e => e)
    expect(err).toMatchObject({ status: 500 })
    expect(err.message).toContain('index on fire')
    expect(await fetchIndexEntries(r.indexUrl, 'steady')).not.toBeNull()
    expect(await fetchIndexEntries(r.indexUrl, 'shaky')).not.toBeNull()

    r.faults.failDownload('shaky', { times: 2, status: 502, body: 'bad gateway' })
    const url = `${r.url}/api/v1/crates/dl/shaky/1.0.0/download`
    expect((await fetch(url)).status).toBe(502)
    expect((await fetch(url)).status).toBe(502)
    expect((await fetch(url)).status).toBe(200)
  })

  it('stores an upload, then drops the connection without answering', async () => {
    const r = await start()
    r.faults.dropAfterStore('dropped')
    await expect(
      rawPublish(r, publishMetadata('dropped', '1.0.0'), fakeCrate('d'))
    ).rejects.toThrow()
    expect(r.faults.uploads()).toEqual({ 'dropped@1.0.0': 1 })
    expect((await fetchIndexEntries(r.indexUrl, 'dropped'))?.map(e => e.vers)).toEqual(['1.0.0'])
    await publishOk(r, 'dropped', '1.1.0')
  })
})
