import { describe, expect, it } from '@jest/globals'
import type { GitRunner } from '../../src/checkout/git.js'
import { commitOf } from '../../src/rehearse/commit.js'

const SHA = 'a'.repeat(40)

describe('commitOf', () => {
  it('asks the run context’s git for HEAD in the workspace root', async () => {
    const calls: { args: string[]; cwd: string }[] = []
    const git: GitRunner = async (args, { cwd }) => {
      calls.push({ args, cwd })
      return `${SHA}\n`
    }
    await expect(commitOf(git, '/work/ws', { GITHUB_SHA: 'b'.repeat(40) })).resolves.toBe(SHA)
    expect(calls).toEqual([{ args: ['rev-parse', 'HEAD'], cwd: '/work/ws' }])
  })

  it('falls back to GITHUB_SHA when git fails or answers something that is not a commit', async () => {
    const failing: GitRunner = async () => {
      throw new Error('fatal: not a git repository')
    }
    const odd: GitRunner = async () => 'HEAD\n'
    const env = { GITHUB_SHA: 'c'.repeat(40) }
    await expect(commitOf(failing, '/work/ws', env)).resolves.toBe('c'.repeat(40))
    await expect(commitOf(odd, '/work/ws', env)).resolves.toBe('c'.repeat(40))
  })
})
