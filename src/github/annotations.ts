/**
 * A failure as a GitHub annotation, pinned to the failing crate's Cargo.toml so it shows on the
 * pull request's "Files changed" tab. GitHub shows at most 10 annotations per step: one per run.
 */
import { isAbsolute, relative } from 'node:path'
import type { Failure, RunResult } from '../result.js'
import type { Env } from './run-info.js'

export interface AnnotationProperties {
  title: string
  /** Relative to the repository root (GITHUB_WORKSPACE), `/`-separated; no line: the whole file. */
  file?: string
}

/** Same shape as @actions/core's `error`. */
export type Annotate = (message: string, properties: AnnotationProperties) => void

export interface Annotation {
  message: string
  properties: AnnotationProperties
}

/** The manifest relative to the workspace, or undefined when it lies outside (GitHub could not show it). */
export function repoRelative(path: string, workspace: string | undefined): string | undefined {
  if (!workspace) return undefined
  const rel = relative(workspace, path).replace(/\\/g, '/')
  if (!rel || rel.startsWith('../') || rel === '..' || isAbsolute(rel)) return undefined
  return rel
}

function title(result: RunResult, failure: Failure): string {
  const what = result.mode === 'rehearse' ? 'rehearsal' : 'publish'
  if (failure.class === 'refused' || result.outcome === 'refused') return 'shipper: publish refused'
  if (failure.crate)
    return `shipper: ${what} failed at ${failure.crate.name}@${failure.crate.version}`
  return `shipper: ${what} failed`
}

/** Pure: the annotation a finished run deserves, if any. */
export function failureAnnotation(result: RunResult, env: Env): Annotation | undefined {
  const failure = result.failure
  if (!failure || (result.outcome !== 'failed' && result.outcome !== 'refused')) return undefined
  const message = failure.hint ? `${failure.message}\nFix: ${failure.hint}` : failure.message
  const properties: AnnotationProperties = { title: title(result, failure) }
  const file = failure.crate
    ? repoRelative(failure.crate.manifestPath, env.GITHUB_WORKSPACE)
    : undefined
  if (file) properties.file = file
  return { message, properties }
}

/** Emits the failure annotation through `annotate` (core.error in the action). */
export function annotateFailure(result: RunResult, env: Env, annotate: Annotate): boolean {
  const annotation = failureAnnotation(result, env)
  if (annotation) annotate(annotation.message, annotation.properties)
  return annotation !== undefined
}
