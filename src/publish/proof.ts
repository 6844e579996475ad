import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { UserError } from '../errors.js'
import type { ArtifactStore } from '../record/artifacts.js'
import { FACTS_FILE } from '../record/facts.js'
import { rehearsalPath, REHEARSAL_FILE } from '../record/rehearsal.js'
import { EVENTS_FILE } from '../record/events.js'

/** Where the rehearsal proof was looked for, and what the gate should say about it. */
export interface ProofLocation {
  /** How the gate names the place it looked (a file, or an artifact of a run). */
  receiptPath: string
  /** A concrete way to produce the proof, quoted in the gate's hints. */
  howToRehearse: string
  /** The artifact service had no such artifact: the gate refuses as "no receipt". */
  missing: boolean
  /** The artifact service failed to answer (set with `missing`): why the proof could not be fetched. */
  unavailable?: string
  /** Set when the proof came from an artifact. */
  artifact?: { id: number; name: string; run: string }
}

export interface ProofRequest {
  artifactName: string
  /** undefined = the current run. */
  rehearsalRunId: number | undefined
  githubToken: string
  stateDir: string
  manifestPath: string
  env: Record<string, string | undefined>
}

function describeRun(runId: number | undefined, env: Record<string, string | undefined>): string {
  const repo = env.GITHUB_REPOSITORY ? ` of ${env.GITHUB_REPOSITORY}` : ''
  if (runId !== undefined) return `run ${runId}${repo}`
  return env.GITHUB_RUN_ID ? `the current run (${env.GITHUB_RUN_ID}${repo})` : 'the current run'
}

/**
 * Gets the rehearsal proof into the state dir. Inside an Actions job it is downloaded from the
 * artifact service, from this run or from `rehearsal-run-id` of the same repository; the files
 * it replaces are removed first, so a stale local copy can never stand in for a missing artifact.
 * Without the service (command line, local runs) the state dir is used as it is.
 */
export async function obtainProof(
  request: ProofRequest,
  store: ArtifactStore | undefined
): Promise<ProofLocation> {
  if (!store) {
    return {
      receiptPath: rehearsalPath(request.stateDir),
      howToRehearse: `run \`shipper-rehearse rehearse --manifest-path ${request.manifestPath}\` with the same --state-dir`,
      missing: false
    }
  }
  const run = describeRun(request.rehearsalRunId, request.env)
  const howToRehearse =
    request.rehearsalRunId === undefined
      ? `run this action with \`mode: rehearse\` earlier in this workflow run (it uploads artifact '${request.artifactName}'), or set \`rehearsal-run-id\` to the run that rehearsed this commit`
      : `check that run ${request.rehearsalRunId} rehearsed this commit with \`artifact-name: ${request.artifactName}\` and that its artifact has not expired, or rehearse again`
  await rm(join(request.stateDir, REHEARSAL_FILE), { force: true })
  await rm(join(request.stateDir, EVENTS_FILE), { force: true })
  await rm(join(request.stateDir, FACTS_FILE), { force: true })
  const from = {
    ...(request.rehearsalRunId !== undefined ? { runId: request.rehearsalRunId } : {}),
    ...(request.githubToken ? { token: request.githubToken } : {})
  }
  let downloaded: Awaited<ReturnType<ArtifactStore['download']>>
  try {
    downloaded = await store.download(request.artifactName, from, request.stateDir)
  } catch (error) {
    if (error instanceof UserError) throw error
    return {
      receiptPath: `artifact '${request.artifactName}' of ${run}`,
      howToRehearse,
      missing: true,
      unavailable: error instanceof Error ? error.message : String(error)
    }
  }
  if (downloaded.kind === 'missing') {
    return {
      receiptPath: `artifact '${request.artifactName}' of ${run}`,
      howToRehearse,
      missing: true
    }
  }
  return {
    receiptPath: `${rehearsalPath(request.stateDir)} (artifact '${request.artifactName}' of ${run})`,
    howToRehearse,
    missing: false,
    artifact: { id: downloaded.id, name: request.artifactName, run }
  }
}
