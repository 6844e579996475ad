import { describe, expect, it } from '@jest/globals'
import {
  annotateFailure,
  failureAnnotation,
  repoRelative,
  type AnnotationProperties
} from '../../src/github/annotations.js'
import type { Failure } from '../../src/result.js'
import { baseResult, outcomes } from './fixtures.js'

const workspace = '/home/runner/work/demo/demo'

const failure: Failure = {
  crate: {
    name: 'demo-app',
    version: '0.2.0',
    manifestPath: `${workspace}/crates/demo-app/Cargo.toml`
  },
  class: 'permanent',
  message: 'crates.io would reject demo-app: missing `license`',
  hint: 'add license = "MIT OR Apache-2.0" to crates/demo-app/Cargo.toml'
}

function failed(f: Failure = failure) {
  return baseResult({
    outcome: 'failed',
    packages: outcomes(['published', 'published', 'failed', 'pending']),
    failure: f
  })
}

describe('failure annotations', () => {
  it('pins a crate failure to its Cargo.toml, relative to the workspace', () => {
    const calls: [string, AnnotationProperties][] = []
    const emitted = annotateFailure(failed(), { GITHUB_WORKSPACE: workspace }, (m, p) =>
      calls.push([m, p])
    )
    expect(emitted).toBe(true)
    expect(calls).toEqual([
      [
        'crates.io would reject demo-app: missing `license`\nFix: add license = "MIT OR Apache-2.0" to crates/demo-app/Cargo.toml',
        { title: 'shipper: rehearsal failed at demo-app@0.2.0', file: 'crates/demo-app/Cargo.toml' }
      ]
    ])
  })

  it('leaves the file out when the manifest is outside the workspace or none is known', () => {
    expect(failureAnnotation(failed(), { GITHUB_WORKSPACE: '/elsewhere' })?.properties).toEqual({
      title: 'shipper: rehearsal failed at demo-app@0.2.0'
    })
    expect(failureAnnotation(failed(), {})?.properties.file).toBeUndefined()
  })

  it('annotates a refusal without a file', () => {
    const result = baseResult({
      mode: 'publish',
      outcome: 'refused',
      packages: [],
      failure: { class: 'refused', message: 'no rehearsal receipt', hint: '' }
    })
    expect(failureAnnotation(result, { GITHUB_WORKSPACE: workspace })).toEqual({
      message: 'no rehearsal receipt',
      properties: { title: 'shipper: publish refused' }
    })
  })

  it('names the mode of a failure that belongs to no crate', () => {
    const result = failed({ class: 'input', message: 'cycle between a and b', hint: 'break it' })
    expect(failureAnnotation(result, {})?.properties.title).toBe('shipper: rehearsal failed')
  })

  it('emits nothing for a passing run', () => {
    const calls: string[] = []
    expect(annotateFailure(baseResult({}), {}, m => calls.push(m))).toBe(false)
    expect(calls).toEqual([])
  })
})

describe('repoRelative', () => {
  it.each([
    ['/w/a/Cargo.toml', '/w', 'a/Cargo.toml'],
    ['/w/Cargo.toml', '/w/', 'Cargo.toml'],
    ['/x/Cargo.toml', '/w', undefined],
    ['/w', '/w', undefined]
  ])('%s in %s is %s', (path, ws, expected) => {
    expect(repoRelative(path, ws)).toBe(expected)
  })
})
