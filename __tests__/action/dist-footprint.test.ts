import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { startRegistry } from '../../src/registry/index.js'
import type { EmbeddedRegistry } from '../../src/registry/types.js'
import { baseEnv, demoForLiveRegistry, DIST_CLI } from '../helpers/action.js'
import { cargoSandbox, type CargoSandbox } from '../helpers/sandbox.js'

/**
 * What the committed CLI bundle costs a rehearsal in memory, seen from inside its own process: a
 * preload records every module the run imports (through a resolve hook) and, at exit, V8's peak
 * compiler memory. The GitHub clients (@actions/artifact, @actions/cache and the SDKs they pull)
 * are behind dynamic imports and must stay unloaded outside an Actions job; and the fetch client's
 * WebAssembly HTTP parser must stay on the baseline compiler (its TurboFan compile alone took
 * ~24 MiB, a quarter of the peak RSS).
 */
/** Chunks only an Actions job needs (see rollup.config.js). */
const ACTIONS_ONLY = /\/chunks\/(artifact|cache|cache2|core|poller)\.js$/

const PROBE = `
import { writeFileSync } from 'node:fs'
import { register } from 'node:module'
import { getHeapStatistics } from 'node:v8'
const out = process.env.FOOTPRINT_FILE
const hook = [
  "import { appendFileSync } from 'node:fs';",
  'export async function resolve(specifier, context, next) {',
  '  const resolved = await next(specifier, context);',
  '  appendFileSync(' + JSON.stringify(out + '.modules') + ', resolved.url + String.fromCharCode(10));',
  '  return resolved;',
  '}'
].join(String.fromCharCode(10))
register('data:text/javascript,' + encodeURIComponent(hook))
process.on('exit', () =>
  writeFileSync(out, JSON.stringify({ peakMalloced: getHeapStatistics().peak_malloced_memory })))
`

describe('dist/cli.js rehearse: what the run loads and allocates', () => {
  let sandbox: CargoSandbox
  let live: EmbeddedRegistry
  let rehearsal: EmbeddedRegistry
  let workspace: string

  beforeAll(async () => {
    sandbox = cargoSandbox('sr-footprint-')
    live = await startRegistry({ strict: true })
    rehearsal = await startRegistry({ strict: true })
    workspace = demoForLiveRegistry(sandbox)
  })
  afterAll(async () => {
    await live.close()
    await rehearsal.close()
    sandbox.cleanup()
  })

  it('imports no Actions-only chunk and never TurboFan-compiles the HTTP parser', async () => {
    const probe = join(sandbox.root, 'footprint-probe.mjs')
    const out = join(sandbox.root, 'footprint.json')
    writeFileSync(probe, PROBE)
    const args = [
      '--import',
      pathToFileURL(probe).href,
      DIST_CLI,
      'rehearse',
      '--manifest-path',
      join(workspace, 'Cargo.toml'),
      '--target-registry',
      'live',
      '--target-registry-url',
      live.url,
      '--registry-url',
      rehearsal.url
    ]
    const child = spawn(process.execPath, args, {
      cwd: workspace,
      env: baseEnv(sandbox, { SHIPPER_REGISTRY_TOKEN: rehearsal.token, FOOTPRINT_FILE: out }),
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    const code = await new Promise<number | null>(settle => child.on('close', settle))
    expect({ code, output }).toMatchObject({ code: 0 })
    // Three crates uploaded and each proved visible: enough requests for V8 to tier up llhttp.
    expect(Object.keys(rehearsal.faults.uploads())).toHaveLength(3)

    const modules = readFileSync(`${out}.modules`, 'utf8').split('\n').filter(Boolean)
    expect(modules).toContain(pathToFileURL(DIST_CLI).href)
    expect(modules.filter(m => ACTIONS_ONLY.test(m))).toEqual([])

    const { peakMalloced } = JSON.parse(readFileSync(out, 'utf8')) as { peakMalloced: number }
    // Baseline-compiled code and parsing stay under ~4 MiB; the TurboFan compile took 24–31.
    expect(peakMalloced).toBeLessThan(12 * 1024 * 1024)
  }, 180_000)
})
