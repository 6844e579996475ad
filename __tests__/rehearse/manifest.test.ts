import { describe, expect, it } from '@jest/globals'
import { parse, stringify, type TomlTable } from 'smol-toml'
import { rewriteManifest, type ManifestRewriteContext } from '../../src/rehearse/manifest.js'

const toml = (text: string): TomlTable => parse(text)

function context(overrides: Partial<ManifestRewriteContext> = {}): ManifestRewriteContext {
  return {
    registryName: 'rehearsal',
    liveRegistry: 'crates-io',
    planned: new Set(['a', 'b', 'c']),
    keepLiveDev: new Set(),
    dirFromRoot: 'crates/me',
    ...overrides
  }
}

describe('rewriteManifest', () => {
  it('points versioned path dependencies on planned crates at the rehearsal registry, in every dependency table', () => {
    const source = toml(`
[package]
name = "me"
version = "0.1.0"

[dependencies]
a = { path = "../a", version = "0.1.0" }
renamed = { package = "b", path = "../b", version = "0.2", optional = true }

[build-dependencies]
c = { path = "../c", version = "1" }

[dev-dependencies]
a = { path = "../a", version = "0.1.0", features = ["x"] }

[target.'cfg(unix)'.dependencies]
b = { path = "../b", version = "0.2" }

[target.'cfg(windows)'.dev-dependencies]
c = { path = "../c", version = "1" }
`)
    const { manifest, changes } = rewriteManifest(source, context())

    expect(manifest).toEqual(
      toml(`
[package]
name = "me"
version = "0.1.0"

[dependencies]
a = { path = "../a", version = "0.1.0", registry = "rehearsal" }
renamed = { package = "b", path = "../b", version = "0.2", optional = true, registry = "rehearsal" }

[build-dependencies]
c = { path = "../c", version = "1", registry = "rehearsal" }

[dev-dependencies]
a = { path = "../a", version = "0.1.0", features = ["x"], registry = "rehearsal" }

[target.'cfg(unix)'.dependencies]
b = { path = "../b", version = "0.2", registry = "rehearsal" }

[target.'cfg(windows)'.dev-dependencies]
c = { path = "../c", version = "1", registry = "rehearsal" }
`)
    )
    expect(changes).toEqual([
      'dependencies.a: registry = "rehearsal"',
      'dependencies.renamed: registry = "rehearsal"',
      'dev-dependencies.a: registry = "rehearsal"',
      'build-dependencies.c: registry = "rehearsal"',
      'target."cfg(unix)".dependencies.b: registry = "rehearsal"',
      'target."cfg(windows)".dev-dependencies.c: registry = "rehearsal"'
    ])
  })

  it('leaves external, path-only and unplanned dependencies exactly as written', () => {
    const text = `
[package]
name = "me"
version = "0.1.0"

[dependencies]
serde = "1"
log = { version = "0.4", features = ["std"] }
a = { version = "0.1.0" }
outside = { path = "../../elsewhere", version = "2" }

[dev-dependencies]
b = { path = "../b" }
`
    const { manifest, changes } = rewriteManifest(toml(text), context())
    expect(changes).toEqual([])
    expect(manifest).toEqual(toml(text))
  })

  it('replaces a registry the dependency already named (the live one) and drops registry-index', () => {
    const { manifest } = rewriteManifest(
      toml(`
[dependencies]
a = { path = "../a", version = "0.1", registry = "my-live" }
b = { path = "../b", version = "0.1", registry-index = "sparse+https://live.example/index/" }
`),
      context()
    )
    expect(manifest.dependencies).toEqual({
      a: { path: '../a', version: '0.1', registry: 'rehearsal' },
      b: { path: '../b', version: '0.1', registry: 'rehearsal' }
    })
  })

  it('accepts the legacy underscore table names', () => {
    const { manifest } = rewriteManifest(
      toml(`
[dev_dependencies]
a = { path = "../a", version = "0.1" }

[build_dependencies]
b = { path = "../b", version = "0.1" }
`),
      context()
    )
    expect(manifest).toEqual({
      dev_dependencies: { a: { path: '../a', version: '0.1', registry: 'rehearsal' } },
      build_dependencies: { b: { path: '../b', version: '0.1', registry: 'rehearsal' } }
    })
  })

  it('gives [workspace.dependencies] entries the key, so members inheriting them need no edit', () => {
    const root = toml(`
[workspace]
members = ["a", "b"]

[workspace.dependencies]
a = { path = "a", version = "0.1.0" }
b-renamed = { package = "b", path = "b", version = "0.1.0", default-features = false }
serde = { version = "1" }
path-only = { path = "c" }
`)
    const { manifest, changes } = rewriteManifest(root, context({ dirFromRoot: '' }))
    expect((manifest.workspace as TomlTable).dependencies).toEqual({
      a: { path: 'a', version: '0.1.0', registry: 'rehearsal' },
      'b-renamed': {
        package: 'b',
        path: 'b',
        version: '0.1.0',
        'default-features': false,
        registry: 'rehearsal'
      },
      serde: { version: '1' },
      'path-only': { path: 'c' }
    })
    expect(changes).toEqual([
      'workspace.dependencies.a: registry = "rehearsal"',
      'workspace.dependencies.b-renamed: registry = "rehearsal"'
    ])

    const member = toml(`
[dependencies]
a.workspace = true
b-renamed = { workspace = true, optional = true }
`)
    const inherited = rewriteManifest(
      member,
      context({ workspaceDependencies: (root.workspace as TomlTable).dependencies as TomlTable })
    )
    expect(inherited.changes).toEqual([])
    expect(inherited.manifest).toEqual(member)
  })

  it('keeps a cycle-closing dev-dependency on the live registry', () => {
    const source = toml(`
[package]
name = "serde_derive"

[dev-dependencies]
serde = { path = "../serde", version = "1.0" }
other = { path = "../other", version = "1.0" }
`)
    const { manifest, changes } = rewriteManifest(
      source,
      context({ planned: new Set(['serde', 'other']), keepLiveDev: new Set(['serde']) })
    )
    expect(manifest['dev-dependencies']).toEqual({
      serde: { path: '../serde', version: '1.0' },
      other: { path: '../other', version: '1.0', registry: 'rehearsal' }
    })
    expect(changes).toEqual(['dev-dependencies.other: registry = "rehearsal"'])
  })

  it('only keeps the dev-dependency live: a normal dependency on the same crate is still rewritten', () => {
    const { manifest } = rewriteManifest(
      toml(`
[dependencies]
a = { path = "../a", version = "0.1" }
`),
      context({ keepLiveDev: new Set(['a']) })
    )
    expect(manifest.dependencies).toEqual({
      a: { path: '../a', version: '0.1', registry: 'rehearsal' }
    })
  })

  it('writes out an inherited cycle-closing dev-dependency as the workspace entry said it, path rebased, member keys merged', () => {
    const workspaceDependencies = toml(`
serde = { path = "crates/serde", version = "1.0", features = ["std"], default-features = false }
`)
    const { manifest, changes } = rewriteManifest(
      toml(`
[dev-dependencies]
serde = { workspace = true, features = ["derive", "std"], optional = false }
`),
      context({
        planned: new Set(['serde']),
        keepLiveDev: new Set(['serde']),
        workspaceDependencies,
        dirFromRoot: 'crates/serde_derive'
      })
    )
    expect(manifest['dev-dependencies']).toEqual({
      serde: {
        path: '../serde',
        version: '1.0',
        features: ['std', 'derive'],
        'default-features': false,
        optional: false
      }
    })
    expect(changes).toEqual([
      'dev-dependencies.serde: written out from [workspace.dependencies], kept on the live registry'
    ])
  })

  it('rebases an inherited path from the root member too, and keeps absolute paths', () => {
    const workspaceDependencies = toml(`
x = { path = "x", version = "1" }
y = { path = "/abs/y", version = "1" }
`)
    const { manifest } = rewriteManifest(
      toml(`
[dev-dependencies]
x.workspace = true
y.workspace = true
`),
      context({
        planned: new Set(['x', 'y']),
        keepLiveDev: new Set(['x', 'y']),
        workspaceDependencies,
        dirFromRoot: ''
      })
    )
    expect(manifest['dev-dependencies']).toEqual({
      x: { path: 'x', version: '1' },
      y: { path: '/abs/y', version: '1' }
    })
  })

  it('lets a publish list that allows the live registry allow the rehearsal registry too', () => {
    const { manifest, changes } = rewriteManifest(
      toml(`
[package]
name = "me"
publish = ["crates-io"]

[workspace.package]
publish = ["crates-io", "mirror"]
`),
      context({ dirFromRoot: '' })
    )
    expect((manifest.package as TomlTable).publish).toEqual(['crates-io', 'rehearsal'])
    expect((manifest.workspace as TomlTable).package).toEqual({
      publish: ['crates-io', 'mirror', 'rehearsal']
    })
    expect(changes).toEqual([
      'workspace.package.publish: + "rehearsal"',
      'package.publish: + "rehearsal"'
    ])
  })

  it('leaves publish = false, inherited publish, and lists without the live registry alone', () => {
    for (const publish of [
      'false',
      'true',
      '["other"]',
      '{ workspace = true }',
      '["crates-io", "rehearsal"]'
    ]) {
      const source = toml(`[package]\nname = "me"\npublish = ${publish}\n`)
      const { manifest, changes } = rewriteManifest(source, context())
      expect(changes).toEqual([])
      expect(manifest).toEqual(source)
    }
  })

  it('uses the configured names for both registries', () => {
    const { manifest } = rewriteManifest(
      toml(`
[package]
publish = ["company"]

[dependencies]
a = { path = "../a", version = "0.1" }
`),
      context({ registryName: 'kellnr-ci', liveRegistry: 'company' })
    )
    expect(manifest).toEqual({
      package: { publish: ['company', 'kellnr-ci'] },
      dependencies: { a: { path: '../a', version: '0.1', registry: 'kellnr-ci' } }
    })
  })

  it('never mutates the parsed source, and its output survives a TOML round trip', () => {
    const text = `
[package]
name = "me"
publish = ["crates-io"]

[dependencies]
a = { path = "../a", version = "0.1", features = ["f"] }

[target.'cfg(unix)'.build-dependencies]
b = { path = "../b", version = "0.1" }
`
    const source = toml(text)
    const { manifest } = rewriteManifest(source, context())
    expect(source).toEqual(toml(text))
    expect(parse(stringify(manifest))).toEqual(manifest)
  })
})
