import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { runCargo, type CargoRunner } from '../../src/cargo/run.js'
import type { Options } from '../../src/options/types.js'
import { chooseVerification } from '../../src/publish/preflight.js'
import { publish } from '../../src/publish/index.js'
import { fetchIndexEntries } from '../../src/sparse/client.js'
import { receiptOf, RehearsedFixture, testContext } from './helpers.js'

/** cargo as the engine runs it, with every command line kept. */
function recordingCargo(): { cargo: CargoRunner; commands: string[][] } {
  const commands: string[][] = []
  return {
    commands,
    cargo: (args, options) => {
      commands.push(args)
      return runCargo(args, options)
    }
  }
}

/** `cargo package` with verification: what `verify` decides about. */
const verificationBuilds = (commands: string[][]) =>
  commands.filter(
    args => args[0] === 'package' && !args.includes('--no-verify') && !args.includes('--list')
  )

describe('the verify input, after a content-bound rehearsal', () => {
  let fixture: RehearsedFixture

  beforeAll(async () => {
    fixture = await RehearsedFixture.create('sr-verify-')
  })

  afterAll(async () => {
    await fixture.close()
  })

  async function publishWith(overrides: Partial<Options>) {
    await fixture.freshLive()
    const ws = fixture.workspace()
    const ctx = testContext(fixture.env())
    const recorded = recordingCargo()
    ctx.cargo = recorded.cargo
    const result = await publish(fixture.options(ws, overrides), ctx)
    const cksums = await Promise.all(
      result.packages.map(async p => {
        const entries = await fetchIndexEntries(fixture.live.indexUrl, p.name)
        return `${p.name}@${p.version} ${entries?.find(e => e.vers === p.version)?.cksum}`
      })
    )
    return { result, ws, ctx, commands: recorded.commands, cksums }
  }

  it('auto uploads without compiling, says so in the log and the record; always compiles first; the bytes are the same', async () => {
    const auto = await publishWith({ verify: 'auto' })
    expect(auto.result.outcome).toBe('published')
    expect(verificationBuilds(auto.commands)).toEqual([])
    expect(
      auto.ctx.lines.some(l => l.startsWith('verification build skipped (verify: auto)'))
    ).toBe(true)
    expect(receiptOf(auto.ws).verification).toMatchObject({ mode: 'auto', built: false })

    const always = await publishWith({ verify: 'always' })
    expect(always.result.outcome).toBe('published')
    expect(verificationBuilds(always.commands)).toHaveLength(1)
    expect(receiptOf(always.ws).verification).toMatchObject({ mode: 'always', built: true })

    expect(auto.cksums).toEqual(always.cksums)
    expect(auto.cksums.every(line => !line.endsWith('undefined'))).toBe(true)
  })

  it('compiles under bind: plan, which proves no sources', async () => {
    const plan = await publishWith({ verify: 'auto', bind: 'plan' })
    expect(plan.result.outcome).toBe('published')
    expect(verificationBuilds(plan.commands)).toHaveLength(1)
    expect(receiptOf(plan.ws).verification).toMatchObject({ mode: 'auto', built: true })
  })
})

describe('chooseVerification', () => {
  it('skips the build only for auto, bind: content and a proof that was not bypassed', () => {
    expect(chooseVerification({ verify: 'auto', bind: 'content' }, false).built).toBe(false)
    expect(chooseVerification({ verify: 'auto', bind: 'content' }, true).built).toBe(true)
    expect(chooseVerification({ verify: 'auto', bind: 'plan' }, false).built).toBe(true)
    expect(chooseVerification({ verify: 'always', bind: 'content' }, false).built).toBe(true)
  })
})
