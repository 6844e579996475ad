import { describe, expect, it } from '@jest/globals'
import { encodePublishBody, parsePublishBody } from '../../src/registry/publish-body.js'

const metadata = { name: 'demo', vers: '1.0.0', deps: [], features: {} }

function body(parts: Array<number | string | Buffer>): Buffer {
  return Buffer.concat(
    parts.map(p => {
      if (typeof p === 'number') {
        const b = Buffer.alloc(4)
        b.writeUInt32LE(p)
        return b
      }
      return Buffer.from(p)
    })
  )
}

describe('publish body', () => {
  it('round-trips metadata and crate bytes', () => {
    const crate = Buffer.from([0x1f, 0x8b, 0, 1, 2, 3])
    const parsed = parsePublishBody(encodePublishBody(metadata, crate))
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    expect(parsed.metadata).toMatchObject(metadata)
    expect(Buffer.compare(parsed.crate, crate)).toBe(0)
  })

  it('checks each length against the bytes actually sent', () => {
    expect(parsePublishBody(Buffer.from([1, 0]))).toEqual({
      ok: false,
      detail: 'invalid metadata length'
    })
    expect(parsePublishBody(body([50, '{}']))).toEqual({
      ok: false,
      detail: 'invalid metadata length for remaining payload: 50'
    })
    expect(parsePublishBody(body([2, '{}', 'ab']))).toEqual({
      ok: false,
      detail: 'invalid tarball length'
    })
    expect(parsePublishBody(body([2, '{}', 9, 'abc']))).toEqual({
      ok: false,
      detail: 'invalid tarball length for remaining payload: 9'
    })
  })

  it('reports bad JSON and missing fields as an invalid upload request', () => {
    const badJson = parsePublishBody(body([5, '{nope', 0]))
    expect(badJson.ok || badJson.detail).toMatch(/^invalid upload request: /)
    const noVers = parsePublishBody(body([15, '{"name":"demo"}', 0]))
    expect(noVers.ok || noVers.detail).toMatch(/^invalid upload request: vers/)
  })

  it('ignores bytes after the crate', () => {
    const parsed = parsePublishBody(
      Buffer.concat([encodePublishBody(metadata, Buffer.from('x')), Buffer.from('zz')])
    )
    expect(parsed.ok && parsed.crate.toString()).toBe('x')
  })
})
