import { describe, expect, it } from '@jest/globals'
import { scrubDeep, scrubSecrets } from '../../src/record/scrub.js'

describe('scrubSecrets', () => {
  it('replaces every occurrence of each registered secret', () => {
    expect(scrubSecrets('a s3cr3t b s3cr3t', ['s3cr3t'])).toBe('a *** b ***')
  })

  it('masks the longer of two overlapping secrets whole', () => {
    expect(scrubSecrets('value abcdef', ['abc', 'abcdef'])).toBe('value ***')
  })

  it('ignores empty secrets instead of masking between every character', () => {
    expect(scrubSecrets('plain text', [''])).toBe('plain text')
  })

  it.each([
    ['Authorization: cio1234567890', 'Authorization: ***'],
    ['  authorization:Bearer abc.def\nnext', '  authorization:***\nnext'],
    ['sent Bearer eyJhbGciOi.x.y to the server', 'sent Bearer *** to the server'],
    ['https://example.com/?token=abc123&x=1', 'https://example.com/?token=***&x=1'],
    ['CARGO_REGISTRIES_LIVE_TOKEN=cio_abc', 'CARGO_REGISTRIES_LIVE_TOKEN=***'],
    ['{"token":"abc","user":"me"}', '{"token":"***","user":"me"}'],
    ['password: hunter2', 'password: ***'],
    ['cargo publish --token cio_abc -p a', 'cargo publish --token *** -p a'],
    ['fetch https://admin:admin@localhost:8000/api', 'fetch https://***@localhost:8000/api']
  ])('masks credential-shaped text: %s', (input, output) => {
    expect(scrubSecrets(input)).toBe(output)
  })

  it.each([
    'error: no token found for `r`, please run `cargo login --registry r`',
    'Updating `rehearsal` index at sparse+http://127.0.0.1:8000/api/v1/crates/',
    'crate a@0.1.0 already exists on `r` index'
  ])('leaves ordinary cargo output alone: %s', text => {
    expect(scrubSecrets(text)).toBe(text)
  })

  it('stays fast on a huge single word (no quadratic regex)', () => {
    const blob = 'A'.repeat(1_000_000)
    const started = performance.now()
    expect(scrubSecrets(blob, ['zzz'])).toBe(blob)
    expect(performance.now() - started).toBeLessThan(2000)
  })
})

describe('scrubDeep', () => {
  it('scrubs nested strings and keeps shape, key order and non-strings', () => {
    const input = { b: ['x TOK'], a: { n: 1, s: 'TOK', t: true, z: null } }
    const out = scrubDeep(input, ['TOK'])
    expect(out).toEqual({ b: ['x ***'], a: { n: 1, s: '***', t: true, z: null } })
    expect(Object.keys(out)).toEqual(['b', 'a'])
  })
})
