import { systemClock } from '../../src/clock.js'
import { testContext } from '../helpers/context.js'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { join } from 'node:path'
import { UserError } from '../../src/errors.js'
import { startRegistry } from '../../src/registry/index.js'
import type { EmbeddedRegistry } from '../../src/registry/types.js'
import { rehearse } from '../../src/rehearse/index.js'
import { checkRegistryOrigin } from '../../src/target/registry-origin.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'
import { FIXTURES, rehearseOptions } from './helpers.js'

const kellnrDefault = {
  api: 'http://127.0.0.1:8000',
  dl: 'http://127.0.0.1:8000/api/v1/crates/dl'
}

describe("kellnr's origin (config.json api/dl) against the host the job uses", () => {
  it('refuses a loopback api reached through a service name, with the KELLNR_ORIGIN__HOSTNAME fix', () => {
    const error = (() => {
      try {
        checkRegistryOrigin('kellnr', kellnrDefault)
      } catch (e) {
        return e
      }
    })() as UserError
    expect(error).toBeInstanceOf(UserError)
    expect(error.message).toContain("reached as 'kellnr'")
    expect(error.message).toContain('http://127.0.0.1:8000')
    expect(error.hint).toContain('KELLNR_ORIGIN__HOSTNAME: kellnr')
  })

  it('treats localhost and 127.0.0.1 as the same place', () => {
    expect(checkRegistryOrigin('localhost', kellnrDefault)).toEqual({})
    expect(
      checkRegistryOrigin('127.0.0.1', {
        api: 'http://localhost:8000',
        dl: 'http://localhost:8000/api/v1/crates/dl'
      })
    ).toEqual({})
    expect(checkRegistryOrigin('[::1]', kellnrDefault)).toEqual({})
  })

  it('accepts a config.json that names the host the job uses', () => {
    expect(
      checkRegistryOrigin('kellnr', {
        api: 'http://kellnr:8000',
        dl: 'http://kellnr:8000/api/v1/crates/dl'
      })
    ).toEqual({})
  })

  it('only warns when both hosts are real names that differ (a proxy may stand between)', () => {
    const check = checkRegistryOrigin('registry.example.com', {
      api: 'https://kellnr.internal.example.com',
      dl: 'https://kellnr.internal.example.com/api/v1/crates/dl'
    })
    expect(check.warning).toContain('kellnr.internal.example.com')
  })
})

describe('rehearse against a registry reached as a service name whose config.json says 127.0.0.1', () => {
  let sandbox: CargoSandbox
  let registry: EmbeddedRegistry
  beforeAll(async () => {
    sandbox = cargoSandbox('sr-registry-origin-')
    registry = await startRegistry()
  })
  afterAll(async () => {
    await registry.close()
    sandbox.cleanup()
  })

  it('fails at once, before anything is packaged, naming the fix', async () => {
    const ws = sandbox.copyFixture(join(FIXTURES, 'chain'), 'chain')
    const ctx = testContext(sandbox.env, systemClock)
    // The job container resolves the service name `kellnr` to the registry; config.json still
    // names 127.0.0.1, as kellnr's default origin does.
    const real = ctx.fetch
    ctx.fetch = (input, init) =>
      real(
        String(input instanceof Request ? input.url : input).replace('//kellnr:', '//127.0.0.1:'),
        init
      )
    const error = await rehearse(
      rehearseOptions(join(ws, 'Cargo.toml'), {
        registryUrl: `http://kellnr:${registry.port}`,
        registryToken: registry.token
      }),
      ctx
    ).catch(e => e)
    expect(error).toBeInstanceOf(UserError)
    expect(error.hint).toContain('KELLNR_ORIGIN__HOSTNAME: kellnr')
    expect(registry.faults.uploads()).toEqual({})
  })
})
