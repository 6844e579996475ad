import { CRATES_IO } from '../../src/crates-io.js'
import { describe, expect, it } from '@jest/globals'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CRATES_IO_RATE_LIMITS, type ReleasePreview } from '../../src/github/preview.js'
import { resultLines } from '../../src/outputs.js'
import { renderSummary, writeSummary, type SummaryWriter } from '../../src/github/summary.js'
import type { Failure } from '../../src/result.js'
import { RUN_URL, baseResult, outcomes } from './fixtures.js'

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), '__golden__')

/** Compares with the reviewed golden file; `UPDATE_GOLDEN=1` rewrites it after a deliberate change. */
function expectGolden(name: string, actual: string): void {
  const path = join(goldenDir, `${name}.md`)
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, actual)
  expect(actual).toBe(readFileSync(path, 'utf8'))
}

const buildFailure: Failure = {
  crate: {
    name: 'demo-app',
    version: '0.2.0',
    manifestPath: '/home/runner/work/demo/demo/crates/demo-app/Cargo.toml'
  },
  class: 'permanent',
  message:
    'cargo publish failed: the crate does not compile against the registry copy of demo-core',
  hint: 'make demo-core export `Config` again, or bump demo-app to require the new API',
  stderrTail: [
    '   Compiling demo-app v0.2.0 (/tmp/sr/package/demo-app-0.2.0)',
    'error[E0432]: unresolved import `demo_core::Config`',
    ' --> src/lib.rs:1:5',
    '  |',
    '1 | use demo_core::Config;',
    '  |     ^^^^^^^^^^^^^^^^^ no `Config` in the root',
    '',
    'error: could not compile `demo-app` (lib) due to 1 previous error; <script>alert(1)</script> & more'
  ].join('\n')
}

function preview(): ReleasePreview {
  return {
    registry: 'crates-io',
    indexUrl: CRATES_IO.indexUrl,
    crates: [
      { name: 'demo-core', version: '0.2.0', state: 'already-published' },
      { name: 'demo-macros', version: '0.2.0', state: 'new-crate' },
      { name: 'demo-app', version: '0.2.0', state: 'new-version', lastPublished: '0.1.3' },
      { name: 'cli', version: '0.2.0', state: 'new-version', lastPublished: '0.1.3' }
    ],
    counts: { 'already-published': 1, 'new-crate': 1, 'new-version': 2, unknown: 0 },
    rateLimits: CRATES_IO_RATE_LIMITS,
    expectedRateLimitWaitMs: 0,
    notes: [
      'This crate is new to the registry: demo-macros. A first publish needs a regular API token: trusted publishing can only publish crates that already exist.'
    ]
  }
}

describe('renderSummary', () => {
  it('reports a passed rehearsal with the plan, the crates and the graph', () => {
    expectGolden('pass', renderSummary(baseResult({}), { runUrl: RUN_URL }))
  })

  it('lists the smoke checks with their results and durations, and says where the cargo log is', () => {
    const base = baseResult({})
    const result = baseResult({
      cargoLog: `${base.plan?.workspaceRoot}/.shipper/cargo.log`,
      artifactId: 42,
      smoke: [
        { kind: 'install', name: 'demo-cli', version: '0.2.0', ok: true, durationMs: 12_400 },
        {
          kind: 'build',
          name: 'shipper-rehearse-consumer',
          version: '0.0.0',
          ok: false,
          durationMs: 3_100
        }
      ]
    })
    const md = renderSummary(result, { runUrl: RUN_URL })
    expect(md).toContain(
      '- **full cargo log** `.shipper/cargo.log` in the state dir, also in the artifact uploaded by this run (id 42)'
    )
    expect(md).toContain('| `cargo install demo-cli@0.2.0` | passed | 12.4 s |')
    expect(md).toContain('| consumer build of every library crate | **failed** | 3.1 s |')
  })

  it('explains a failed rehearsal: the crate, its class, the fix and cargo output', () => {
    const result = baseResult({
      outcome: 'failed',
      packages: outcomes(['published', 'published', 'failed', 'pending']),
      failure: buildFailure
    })
    expectGolden('failure', renderSummary(result, { runUrl: RUN_URL }))
  })

  it('says why a publish was refused and how to fix it', () => {
    const result = baseResult({
      mode: 'publish',
      outcome: 'refused',
      packages: [],
      registry: undefined,
      failure: {
        class: 'refused',
        message:
          'the rehearsal receipt is stale: it proves plan 0b1c… but this release is plan 3f9a1c0d5e7b…',
        hint: 're-run the rehearsal on this commit (mode: rehearse), then publish from the same commit'
      }
    })
    expectGolden('refusal', renderSummary(result, { runUrl: RUN_URL }))
  })

  it('makes a skipped rehearsal loud', () => {
    const result = baseResult({
      outcome: 'skipped',
      packages: outcomes(['pending', 'pending', 'pending', 'pending']),
      registry: undefined
    })
    expectGolden('skipped', renderSummary(result, { runUrl: RUN_URL }))
  })

  it('adds the release preview in rehearse mode', () => {
    expectGolden('preview', renderSummary(baseResult({}), { runUrl: RUN_URL, preview: preview() }))
  })

  it('leaves the preview out in publish mode', () => {
    const result = baseResult({ mode: 'publish', outcome: 'published' })
    expect(renderSummary(result, { preview: preview() })).not.toContain('Release preview')
  })

  it('escapes HTML in cargo output, messages and hints', () => {
    const result = baseResult({
      outcome: 'failed',
      failure: { ...buildFailure, message: 'bad <b>tag</b>', hint: 'use <details> & co' }
    })
    const md = renderSummary(result)
    expect(md).not.toContain('<script>')
    expect(md).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; more')
    expect(md).toContain('> bad &lt;b&gt;tag&lt;/b&gt;')
    expect(md).toContain('**Fix:** use &lt;details&gt; &amp; co')
  })

  it('colours each node of the graph by the status of its crate', () => {
    const result = baseResult({
      outcome: 'failed',
      packages: outcomes(['published', 'skipped', 'failed', 'pending']),
      failure: buildFailure
    })
    const md = renderSummary(result)
    expect(md).toContain('c0["demo-core@0.2.0"]:::published')
    expect(md).toContain('c1["demo-macros@0.2.0"]:::skipped')
    expect(md).toContain('c2["demo-app@0.2.0"]:::failed')
    expect(md).toContain('c3["cli@0.2.0"]:::pending')
    expect(md).toContain('c0 --> c2')
    expect(md).toContain('c1 --> c2')
    expect(md).toContain('c2 --> c3')
    expect(md).toMatch(/classDef failed fill:#cf222e/)
    expect(md).not.toContain('classDef dryrun')
  })

  it('warns loudly when publish mode bypassed the gate', () => {
    const result = baseResult({
      mode: 'publish',
      outcome: 'published',
      published: [{ name: 'demo-core', version: '0.2.0' }]
    })
    const md = renderSummary(result, { bypassed: true })
    expect(md.split('\n')[0]).toBe('## 🚀 Published — without a rehearsal')
    expect(md).toContain('> [!CAUTION]')
    expect(md).toContain('without a rehearsal')
    expect(renderSummary(result)).not.toContain('[!CAUTION]')
  })

  it('never says Published when the run uploaded nothing', () => {
    const result = baseResult({
      mode: 'publish',
      outcome: 'published',
      packages: outcomes(['skipped', 'skipped', 'skipped', 'skipped']),
      published: []
    })
    const md = renderSummary(result)
    expect(md.split('\n')[0]).toBe('## ✅ Already published, nothing uploaded')
    expect(md).not.toContain('🚀')
    expect(resultLines(result)).toContain('outcome: already published, nothing uploaded')
  })

  it('names the outcome of a dry run', () => {
    const result = baseResult({
      mode: 'publish',
      outcome: 'dry-run',
      packages: outcomes(['dry-run', 'dry-run', 'dry-run', 'dry-run'])
    })
    const md = renderSummary(result)
    expect(md.split('\n')[0]).toBe('## 🧪 Dry run — nothing was uploaded')
    expect(md).toContain('4: 4 dry run')
  })

  it('keeps the summary under the budget by cutting the start of cargo output first', () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} <noise>`)
    const result = baseResult({
      outcome: 'failed',
      failure: { ...buildFailure, stderrTail: `${lines.join('\n')}\nerror: the real cause` }
    })
    const budget = 64 * 1024
    const md = renderSummary(result, {}, budget)
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(budget)
    expect(md).toContain('error: the real cause')
    expect(md).not.toContain('line 0 ')
    expect(md).toMatch(/earlier lines cut to fit the summary/)
    expect(md).toContain('```mermaid')
    expect(md).toContain('**Fix:**')
  })

  it('cuts the text itself only when nothing else is left to cut', () => {
    const many = Array.from({ length: 3000 }, (_, i) => ({
      name: `crate-${i}`,
      version: '1.0.0',
      level: 0,
      status: 'published' as const,
      durationMs: 10
    }))
    const md = renderSummary(baseResult({ packages: many }), {}, 32 * 1024)
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(32 * 1024)
    expect(md).toContain('## ✅ Rehearsal passed')
    expect(md.trimEnd().endsWith('_Summary cut to fit GitHub’s 1 MiB limit._')).toBe(true)
  })
})

describe('writeSummary', () => {
  it('appends the markdown once and writes it', async () => {
    const calls: string[] = []
    const writer: SummaryWriter = {
      addRaw(text) {
        calls.push(`add:${text}`)
        return writer
      },
      async write() {
        calls.push('write')
      }
    }
    await writeSummary('## hello\n', { summary: writer })
    expect(calls).toEqual(['add:## hello\n', 'write'])
  })
})
