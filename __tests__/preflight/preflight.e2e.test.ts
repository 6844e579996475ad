import { systemClock } from '../../src/clock.js'
import { testContext } from '../helpers/context.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { planCommand } from '../../src/cli/plan.js'
import { resultExitCode } from '../../src/outputs.js'
import { publish } from '../../src/publish/index.js'
import { startRegistry } from '../../src/registry/index.js'
import type { EmbeddedRegistry } from '../../src/registry/types.js'
import { rehearse } from '../../src/rehearse/index.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'
import { RehearsedFixture } from '../publish/helpers.js'
import { rehearseOptions } from '../rehearse/helpers.js'

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true })
    writeFileSync(join(root, path), text)
  }
}

const member = (name: string, pkg: string, deps = '') => ({
  [`${name}/Cargo.toml`]: `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n${pkg}\n${deps}`,
  [`${name}/src/lib.rs`]: `pub fn ${name.replace(/-/g, '_')}() {}\n`
})

describe('crates.io rules before any upload (kellnr stand-in: embedded registry, strict off)', () => {
  let sandbox: CargoSandbox
  let registry: EmbeddedRegistry
  let ws: string
  beforeAll(async () => {
    sandbox = cargoSandbox('sr-preflight-rules-')
    registry = await startRegistry({ strict: false })
    ws = join(sandbox.root, 'ws')
    write(ws, {
      'Cargo.toml': '[workspace]\nmembers = ["pa", "pb", "pc"]\nresolver = "2"\n',
      ...member('pa', 'license = "MIT"'),
      ...member(
        'pb',
        'description = "b"\nlicense = "Apache 2.0"',
        '[dependencies]\npa = { path = "../pa", version = "0.1.0" }\n'
      ),
      ...member(
        'pc',
        'description = "c"\nlicense = "MIT"\nkeywords = ["a", "b", "c", "d", "e", "f"]',
        '[dependencies]\npb = { path = "../pb", version = "0.1.0" }\n'
      )
    })
  })
  afterAll(async () => {
    await registry.close()
    sandbox.cleanup()
  })

  it('fails once, naming the three problems of the three crates, with no upload', async () => {
    const ctx = testContext(sandbox.env, systemClock)
    const result = await rehearse(
      rehearseOptions(join(ws, 'Cargo.toml'), {
        registryUrl: registry.url,
        registryToken: registry.token
      }),
      ctx
    )
    expect(result.outcome).toBe('failed')
    expect(registry.faults.uploads()).toEqual({})
    const message = result.failure?.message ?? ''
    expect(message).toMatch(/^3 problems in 3 crates that 'crates-io' would refuse/)
    expect(message).toContain('pa@0.1.0: package.description: missing or empty metadata fields')
    expect(message).toContain('pb@0.1.0: package.license: unknown or invalid license expression')
    expect(message).toContain('pc@0.1.0: package.keywords: expected at most 5 keywords per crate')
    const errors = ctx.logger.lines.filter(l => l.startsWith('error: '))
    expect(errors).toHaveLength(3)
    expect(errors.every(l => l.includes(' — fix: '))).toBe(true)
  })

  it('`plan` shows the same problems', async () => {
    const out: string[] = []
    const term = { out: (l: string) => void out.push(l), err: () => undefined }
    const ctx = testContext(sandbox.env, systemClock)
    const options = rehearseOptions(join(ws, 'Cargo.toml'))
    expect(await planCommand(options, 'json', ctx, term as never)).toBe(0)
    const json = JSON.parse(out.join('\n')) as { problems: { crate: string; field: string }[] }
    expect(json.problems.map(p => [p.crate, p.field])).toEqual([
      ['pa', 'package.description'],
      ['pb', 'package.license'],
      ['pc', 'package.keywords']
    ])
  })
})

describe('a private target whose workspace does not name it', () => {
  let fixture: RehearsedFixture
  beforeAll(async () => {
    fixture = await RehearsedFixture.create('sr-preflight-private-')
  }, 120_000)
  afterAll(async () => {
    await fixture?.close()
  })

  it('fails the rehearsal before any upload, naming crate, dependency and fix', async () => {
    const ws = fixture.workspace()
    const root = join(ws, 'Cargo.toml')
    writeFileSync(root, readFileSync(root, 'utf8').replace(/, registry = "live"/g, ''))
    const rehearsal = await startRegistry()
    try {
      const result = await rehearse(
        fixture.options(ws, {
          mode: 'rehearse',
          registryUrl: rehearsal.url,
          registryToken: rehearsal.token
        }),
        testContext(fixture.env())
      )
      expect(result.outcome).toBe('failed')
      expect(rehearsal.faults.uploads()).toEqual({})
      const message = result.failure?.message ?? ''
      expect(message).toMatch(/^2 problems in 1 crate that 'live' would refuse/)
      expect(message).toContain(
        'shr-app@0.1.0: dependencies.shr-core: the in-workspace dependency shr-core has no `registry` key'
      )
      expect(message).toContain('shr-app@0.1.0: dependencies.shr-util:')
      expect(message).toContain(
        'fix: add `registry = "live"` to shr-core in [workspace.dependencies] of the workspace\'s Cargo.toml (app/Cargo.toml inherits it from there)'
      )
    } finally {
      await rehearsal.close()
    }

    const refused = await publish(
      fixture.options(ws, { skipRehearsal: true }),
      testContext(fixture.env())
    )
    expect(refused.outcome).toBe('failed')
    expect(refused.failure?.class).toBe('permanent')
    expect(refused.failure?.message).toContain('fix: add `registry = "live"` to shr-core')
    expect(fixture.live.faults.uploads()).toEqual({})
  })
})

describe('versions already live', () => {
  let fixture: RehearsedFixture
  beforeAll(async () => {
    fixture = await RehearsedFixture.create('sr-preflight-live-')
  }, 120_000)
  afterAll(async () => {
    await fixture?.close()
  })
  afterEach(async () => {
    await fixture.freshLive()
  })

  it('a changed crate whose version was not bumped fails the rehearsal and is refused by publish; unchanged ones resume', async () => {
    const released = fixture.workspace()
    const first = await publish(fixture.options(released), testContext(fixture.env()))
    expect(first.outcome).toBe('published')
    const live = fixture.live
    expect(Object.keys(live.faults.uploads())).toHaveLength(3)

    const ws = fixture.workspace()
    const lib = join(ws, 'util', 'src', 'lib.rs')
    writeFileSync(lib, `${readFileSync(lib, 'utf8')}\npub fn added_later() {}\n`)

    const rehearsal = await startRegistry()
    const rctx = testContext(fixture.env())
    try {
      const rehearsed = await rehearse(
        fixture.options(ws, {
          mode: 'rehearse',
          registryUrl: rehearsal.url,
          registryToken: rehearsal.token
        }),
        rctx
      )
      expect(rehearsed.outcome).toBe('failed')
      expect(rehearsal.faults.uploads()).toEqual({})
      expect(rehearsed.failure?.message).toMatch(
        /^1 problem in 1 crate .*shr-util@0\.1\.0: package\.version: 0\.1\.0 is already on 'live' with other contents \(src\/lib\.rs\) — fix: bump the version of shr-util/
      )
      expect(rctx.lines).toContainEqual(
        expect.stringMatching(
          /^shr-core@0\.1\.0 is already on 'live' with these exact sources: a partial release being resumed/
        )
      )
    } finally {
      await rehearsal.close()
    }

    const pctx = testContext(fixture.env())
    const refused = await publish(fixture.options(ws, { skipRehearsal: true }), pctx)
    expect(refused.outcome).toBe('failed')
    expect(resultExitCode(refused)).toBe(1)
    expect(refused.published).toEqual([])
    expect(refused.failure?.message).toContain('fix: bump the version of shr-util')
    expect(live.faults.uploads()).toEqual({
      'shr-core@0.1.0': 1,
      'shr-util@0.1.0': 1,
      'shr-app@0.1.0': 1
    })
  })

  it('a publish that finds everything live with the same sources uploads nothing and says so', async () => {
    const ws = fixture.workspace()
    expect((await publish(fixture.options(ws), testContext(fixture.env()))).outcome).toBe(
      'published'
    )
    const ctx = testContext(fixture.env())
    const again = await publish(fixture.options(ws), ctx)
    expect(again.outcome).toBe('published')
    expect(again.published).toEqual([])
    expect(ctx.lines.filter(l => l.includes('partial release being resumed'))).toHaveLength(3)
  })
})
