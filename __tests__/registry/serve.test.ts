import { describe, expect, it } from '@jest/globals'
import { EventEmitter } from 'node:events'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseServeArgs, registryServe } from '../../src/cli/registry-serve.js'
import { UserError } from '../../src/errors.js'
import { fetchIndexEntries, fetchRegistryConfig } from '../../src/sparse/client.js'
import { fakeCrate, publishMetadata } from './helpers.js'
import { encodePublishBody } from '../../src/registry/index.js'

function terminal() {
  const out: string[] = []
  const err: string[] = []
  let announce: (line: string) => void = () => undefined
  const printed = new Promise<string>(resolve => (announce = resolve))
  return {
    out,
    err,
    printed,
    term: {
      out: (line: string) => {
        out.push(line)
        announce(line)
      },
      err: (line: string) => void err.push(line)
    }
  }
}

describe('shipper-rehearse registry serve', () => {
  it('prints the cargo index URL, serves until SIGTERM, then closes and exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sr-serve-'))
    try {
      const signals = new EventEmitter()
      const { term, printed, err } = terminal()
      const running = registryServe(
        ['--data', dataDir, '--token=cli-token', '--no-strict'],
        term,
        signals
      )
      const indexUrl = await printed
      expect(indexUrl).toMatch(/^sparse\+http:\/\/127\.0\.0\.1:\d+\/api\/v1\/crates\/$/)
      expect(err).toContain('token: cli-token')
      expect(err).toContain(`data: ${dataDir}`)

      await expect(fetchRegistryConfig(indexUrl)).resolves.toMatchObject({ 'auth-required': false })
      const api = indexUrl.replace(/^sparse\+/, '').replace(/\/api\/v1\/crates\/$/, '')
      const res = await fetch(`${api}/api/v1/crates/new`, {
        method: 'PUT',
        headers: { authorization: 'cli-token' },
        body: encodePublishBody(
          publishMetadata('served', '1.0.0', { description: null }),
          fakeCrate('s')
        )
      })
      expect(res.status).toBe(200)
      expect(await fetchIndexEntries(indexUrl, 'served')).toHaveLength(1)

      signals.emit('SIGTERM')
      await expect(running).resolves.toBe(0)
      await expect(fetch(`${api}/api/v1/health`)).rejects.toThrow()
      expect(signals.listenerCount('SIGINT')).toBe(0)
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it('stops on SIGINT too, removing its temporary storage', async () => {
    const signals = new EventEmitter()
    const { term, printed, err } = terminal()
    const running = registryServe(['--port', '0'], term, signals)
    await printed
    const dataLine = err.find(l => l.startsWith('data: ')) ?? ''
    expect(dataLine).toMatch(/\(temporary, removed on exit\)$/)
    const dataDir = dataLine.slice('data: '.length).replace(/ \(temporary.*$/, '')
    expect(existsSync(dataDir)).toBe(true)
    signals.emit('SIGINT')
    await expect(running).resolves.toBe(0)
    expect(existsSync(dataDir)).toBe(false)
  })

  it('parses its flags', () => {
    expect(
      parseServeArgs([
        '--port',
        '8000',
        '--data=/tmp/x',
        '--token',
        't',
        '--strict',
        '--auth-required'
      ])
    ).toEqual({
      port: 8000,
      dataDir: '/tmp/x',
      token: 't',
      strict: true,
      authRequired: true
    })
    expect(parseServeArgs(['--no-strict'])).toEqual({ strict: false })
  })

  it.each([[['--port', 'http']], [['--port', '70000']], [['--data']], [['--verbose']]])(
    'refuses %j as bad usage (exit 2)',
    argv => {
      let error: unknown
      try {
        parseServeArgs(argv)
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(UserError)
      expect((error as UserError).exitCode).toBe(2)
    }
  )
})

describe('registry serve errors', () => {
  async function serveError(argv: string[]) {
    const { main } = await import('../../src/cli/main.js')
    const { term, out, err } = terminal()
    const code = await main(['registry', 'serve', ...argv], term)
    return { code, out, err }
  }

  it('says a port in use is in use, in one line with exit 2', async () => {
    const { createServer } = await import('node:net')
    const busy = createServer()
    await new Promise<void>(resolve => busy.listen(0, '127.0.0.1', resolve))
    try {
      const port = (busy.address() as { port: number }).port
      const r = await serveError(['--port', String(port)])
      expect(r.code).toBe(2)
      expect(r.out).toEqual([])
      expect(r.err).toEqual([
        `error: port ${port} on 127.0.0.1 is already in use (hint: stop what listens there, or pick another --port (0 takes any free one))`
      ])
    } finally {
      await new Promise(resolve => busy.close(resolve))
    }
  })

  it('says a --data that is a file is not a directory, in one line with exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sr-serve-file-'))
    try {
      const file = join(dir, 'not-a-dir')
      writeFileSync(file, 'x')
      const r = await serveError(['--data', file])
      expect(r.code).toBe(2)
      expect(r.err).toEqual([
        `error: --data ${file} is not a directory (hint: give a directory (it is created when missing))`
      ])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
