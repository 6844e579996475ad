import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { cpSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { publish } from '../../src/publish/index.js'
import { startRegistry } from '../../src/registry/index.js'
import type { EmbeddedRegistry } from '../../src/registry/types.js'
import { rehearse } from '../../src/rehearse/index.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'
import { publishOptions, testContext } from '../publish/helpers.js'
import { git, makeRepo, paths, servedFiles, sourceFiles } from './bound.js'

/**
 * A darling-like workspace: the root manifest is itself a crate, and the repository ignores
 * nothing of the state dir. Before the fix, `.shipper/*` was inside the root crate's package: the
 * digest changed while the rehearsal wrote its events, a fresh clone was refused forever, and
 * with allow-dirty the records shipped in the crate.
 */
const DARL = {
  'Cargo.toml': `[package]
name = "darl"
version = "0.1.0"
edition = "2021"
license = "MIT"
description = "root package of a darling-like workspace"

[workspace]
members = ["core"]

[dependencies]
darl-core = { path = "core", version = "0.1.0", registry = "live" }
`,
  'src/lib.rs':
    'pub const MODEL: &str = include_str!("../.data/model.txt");\npub use darl_core::core;\n',
  '.data/model.txt': 'a dotfile folder the crate includes\n',
  '.clippy.toml': 'msrv = "1.60"\n',
  'scripts/regen.sh': { text: '#!/bin/sh\necho regenerate\n', executable: true as const },
  'core/Cargo.toml': `[package]
name = "darl-core"
version = "0.1.0"
edition = "2021"
license = "MIT"
description = "core of a darling-like workspace"
`,
  'core/src/lib.rs': 'pub fn core() -> u8 { 7 }\n'
}

let sandbox: CargoSandbox
let live: EmbeddedRegistry

beforeAll(async () => {
  sandbox = cargoSandbox('sr-hard-root-')
  live = await startRegistry()
})

afterAll(async () => {
  await live?.close()
  sandbox?.cleanup()
})

const env = () => ({ ...sandbox.env, CARGO_REGISTRIES_LIVE_INDEX: live.indexUrl })

describe('a root-package workspace that ignores nothing', () => {
  it('rehearses twice to one digest, passes the gate on a fresh clone, and publishes the rehearsed files without its state files', async () => {
    const origin = makeRepo(join(sandbox.root, 'origin'), DARL)
    const checkout = join(sandbox.root, 'rehearse-checkout')
    git(sandbox.root, 'clone', '-q', origin, checkout)

    const rehearsals: EmbeddedRegistry[] = [await startRegistry(), await startRegistry()]
    try {
      const digests: (string | undefined)[] = []
      for (const registry of rehearsals) {
        const result = await rehearse(
          publishOptions(join(checkout, 'Cargo.toml'), live.url, {
            mode: 'rehearse',
            registryUrl: registry.url,
            registryToken: registry.token
          }),
          testContext(env())
        )
        expect(result.failure).toBeUndefined()
        expect(result.outcome).toBe('passed')
        digests.push(result.digest?.digest)
      }
      // The second rehearsal ran with the first one's records in the root crate's folder.
      expect(digests[1]).toBe(digests[0])

      const fresh = join(sandbox.root, 'publish-clone')
      git(sandbox.root, 'clone', '-q', origin, fresh)
      // As the artifact download does: the proof lands in the state dir of the fresh clone.
      cpSync(join(checkout, '.shipper'), join(fresh, '.shipper'), { recursive: true })
      const published = await publish(
        publishOptions(join(fresh, 'Cargo.toml'), live.url, { token: live.token }),
        testContext(env())
      )
      expect(published.failure).toBeUndefined()
      expect(published.outcome).toBe('published')
      expect(published.published.map(p => p.name).sort()).toEqual(['darl', 'darl-core'])

      for (const name of ['darl', 'darl-core']) {
        const rehearsed = await servedFiles(rehearsals[1] as EmbeddedRegistry, name, '0.1.0')
        const uploaded = await servedFiles(live, name, '0.1.0')
        expect(paths(uploaded).filter(p => p.startsWith('.shipper'))).toEqual([])
        expect(sourceFiles(uploaded)).toEqual(sourceFiles(rehearsed))
      }
      const root = await servedFiles(live, 'darl', '0.1.0')
      expect(paths(root)).toEqual(
        expect.arrayContaining(['.data/model.txt', '.clippy.toml', '.cargo_vcs_info.json'])
      )
      expect(root.find(f => f.path === 'scripts/regen.sh')?.mode).toBe('755')
      // The original manifest that went live is the committed one, byte for byte.
      const orig = root.find(f => f.path === 'Cargo.toml.orig')
      expect(orig?.sha256).toBe(
        (await import('node:crypto'))
          .createHash('sha256')
          .update(readFileSync(join(fresh, 'Cargo.toml')))
          .digest('hex')
      )
      // The publish wrote nothing into the checkout but its records.
      expect(
        git(fresh, 'status', '--porcelain', '--untracked-files=all')
          .split('\n')
          .filter(Boolean)
          .every(l => l.startsWith('?? .shipper/'))
      ).toBe(true)

      // A rerun compares the versions now live with the checkout, whose state dir holds the
      // records of the run before: they are not part of what is compared, so it is a resume.
      const rerun = await publish(
        publishOptions(join(fresh, 'Cargo.toml'), live.url, { token: live.token }),
        testContext(env())
      )
      expect(rerun.failure).toBeUndefined()
      expect(rerun.outcome).toBe('published')
      expect(rerun.published).toEqual([])
    } finally {
      for (const registry of rehearsals) await registry.close()
    }
  }, 300_000)
})
