import { describe, expect, it } from '@jest/globals'
import { UserError } from '../../src/errors.js'
import { registryEnv, registryEnvKey } from '../../src/cargo/env.js'

describe('cargo registry environment', () => {
  it('names variables as cargo does: upper case, - to _', () => {
    expect(registryEnvKey('rehearsal')).toBe('REHEARSAL')
    expect(registryEnvKey('my-kellnr_2')).toBe('MY_KELLNR_2')
  })

  it('refuses names cargo would not accept', () => {
    for (const name of ['', '-x', 'a b', 'a.b'])
      expect(() => registryEnvKey(name)).toThrow(UserError)
  })

  it('configures index, token provider and token', () => {
    expect(
      registryEnv({ name: 'ci-reg', indexUrl: 'sparse+http://h/api/v1/crates/', token: 't0k' })
    ).toEqual({
      CARGO_REGISTRIES_CI_REG_INDEX: 'sparse+http://h/api/v1/crates/',
      CARGO_REGISTRIES_CI_REG_CREDENTIAL_PROVIDER: 'cargo:token',
      CARGO_REGISTRIES_CI_REG_TOKEN: 't0k'
    })
  })

  it('sets no token variable without a token', () => {
    expect(
      Object.keys(registryEnv({ name: 'r', indexUrl: 'sparse+http://h/', token: '' }))
    ).toEqual(['CARGO_REGISTRIES_R_INDEX', 'CARGO_REGISTRIES_R_CREDENTIAL_PROVIDER'])
  })
})
