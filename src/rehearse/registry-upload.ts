/**
 * The upload step: read what the rehearsal registry already holds, then `cargo publish` the
 * rest of the packaged plan in one invocation, proving each version visible with the sha256 that
 * was packaged.
 */
import type { PlannedCrate } from '../plan/types.js'
import type { CrateStatus } from '../engine/status.js'
import { fetchIndexEntries, waitForVersion } from '../sparse/client.js'
import type { RehearsalRegistry } from '../target/rehearsal.js'
import { readIndexSnapshot, type IndexRead } from '../target/snapshot.js'
import { reportSettled, type StepContext } from './report.js'
import { indexState, uploadPlan, type IndexState } from './upload.js'

export interface UploadWhere {
  registry: RehearsalRegistry
  /** The scratch copy's workspace root. */
  copy: string
  env: Record<string, string | undefined>
  cksums: Map<string, string>
}

export async function uploadToRehearsal(
  step: StepContext,
  where: UploadWhere
): Promise<CrateStatus[]> {
  const { ctx, options, plan } = step
  const { registry, copy, env, cksums } = where
  const states = await indexStates(step, registry, cksums)
  return uploadPlan(plan, cksums, states, {
    clock: ctx.clock,
    readinessTimeoutMs: options.readinessTimeoutMs,
    publish: (crates, watch) =>
      ctx.cargo(
        [
          'publish',
          ...crates.flatMap(c => ['-p', c.name]),
          '--registry',
          registry.name,
          '--no-verify',
          '--allow-dirty',
          '--locked'
        ],
        {
          cwd: copy,
          env,
          signal: watch.signal,
          onLine: (line, from) => {
            if (from === 'stderr') watch.onLine(line)
          }
        }
      ),
    waitVisible: (crate, cksum, pause) =>
      waitForVersion(registry.indexUrl, crate.name, crate.version, {
        cksum,
        pause,
        timeoutMs: options.readinessTimeoutMs,
        clock: ctx.clock,
        token: registry.token || undefined,
        fetch: ctx.fetch
      }),
    onStart: crate => ctx.progress(`uploading ${label(crate)}`),
    onSettled: outcome => reportSettled(step, outcome)
  })
}

function label(crate: PlannedCrate): string {
  return `${crate.name}@${crate.version}`
}

async function indexStates(
  { plan, ctx }: StepContext,
  registry: RehearsalRegistry,
  cksums: Map<string, string>
): Promise<Map<string, IndexState>> {
  const snapshot = await readIndexSnapshot(
    plan.packages.map(c => c.name),
    name =>
      fetchIndexEntries(registry.indexUrl, name, {
        token: registry.token || undefined,
        fetch: ctx.fetch
      })
  )
  return new Map(
    plan.packages.map(crate => {
      const read = snapshot.read(crate.name) as IndexRead
      const state: IndexState =
        'error' in read
          ? { kind: 'unreadable', message: read.error.message }
          : indexState(read.entries, crate.version, cksums.get(crate.name) as string)
      return [crate.name, state]
    })
  )
}
