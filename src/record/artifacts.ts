import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from '../log.js'

/** Where a download looks: the current run (no runId) or another run of the same repository. */
export interface ArtifactSource {
  runId?: number
  /** Needed for another run's artifacts (`actions: read`); the current run needs none. */
  token?: string
}

export type DownloadResult =
  { kind: 'downloaded'; id: number; path: string } | { kind: 'missing'; message: string }

export interface UploadResult {
  /** Undefined when the service stored nothing. */
  id: number | undefined
}

/** The workflow artifact service, reduced to the two things this action does with it. */
export interface ArtifactStore {
  /** `files` must be file paths under `root`; they keep their paths relative to it. */
  upload(
    name: string,
    files: string[],
    root: string,
    options: { retentionDays?: number }
  ): Promise<UploadResult>
  /** Unpacks artifact `name` into `destDir`; a missing artifact is a result, not an error. */
  download(name: string, from: ArtifactSource, destDir: string): Promise<DownloadResult>
}

export type RecordUpload =
  { kind: 'uploaded'; id: number } | { kind: 'none' } | { kind: 'failed'; cause: string }

/**
 * Uploads a run's record files from the state dir (those that exist, relative to it) as artifact
 * `name`; rehearse and publish both hand their record over this way. The front door hands the
 * store in; without one (not inside an Actions job) the record stays in the state dir, said once.
 * A refused upload is returned, not logged: what it means depends on the mode (a rehearsal's proof
 * that never left the job proves nothing; a publish's crates are out either way).
 */
export async function uploadRecord(
  store: ArtifactStore | undefined,
  record: { name: string; stateDir: string; files: readonly string[]; retentionDays?: number },
  logger: Logger
): Promise<RecordUpload> {
  const { name, stateDir } = record
  if (!store) {
    logger.warning(
      `artifact: the Actions artifact service is not available (not inside a GitHub Actions job); the record stays in ${stateDir}`
    )
    return { kind: 'none' }
  }
  const files = record.files.map(f => join(stateDir, f)).filter(f => existsSync(f))
  if (files.length === 0) return { kind: 'none' }
  try {
    const uploaded = await store.upload(
      name,
      files,
      stateDir,
      record.retentionDays !== undefined ? { retentionDays: record.retentionDays } : {}
    )
    if (uploaded.id !== undefined) return { kind: 'uploaded', id: uploaded.id }
    return { kind: 'failed', cause: 'the artifact service stored nothing' }
  } catch (error) {
    return { kind: 'failed', cause: error instanceof Error ? error.message : String(error) }
  }
}
