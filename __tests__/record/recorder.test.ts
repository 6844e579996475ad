import { afterEach, describe, expect, it } from '@jest/globals'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fakeClock } from '../../src/clock.js'
import { RunRecorder } from '../../src/record/recorder.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sr-recorder-'))
  dirs.push(dir)
  return dir
}

describe('RunRecorder', () => {
  it('scrubs secrets given up front and learnt later from events, messages and its list, masking each once', async () => {
    const dir = stateDir()
    const masked: string[] = []
    const recorder = await RunRecorder.open(dir, fakeClock(), ['tok-1', '', 'tok-1'], v =>
      masked.push(v)
    )
    recorder.addSecret('minted-2')
    recorder.addSecret('minted-2')
    await recorder.during(r =>
      r.emit({ type: 'package_failed', class: 'permanent', message: 'tok-1 and minted-2 refused' })
    )
    expect(masked).toEqual(['tok-1', 'minted-2'])
    expect(recorder.secrets).toEqual(['tok-1', 'minted-2'])
    expect(recorder.scrub('x tok-1 y minted-2')).toBe('x *** y ***')
    const log = readFileSync(recorder.eventsPath, 'utf8')
    expect(recorder.eventsPath).toBe(join(dir, 'events.jsonl'))
    expect(log).toContain('*** and *** refused')
    expect(log).not.toMatch(/tok-1|minted-2/)
  })

  it('closes the log when the recorded work throws', async () => {
    const recorder = await RunRecorder.open(stateDir(), fakeClock(), [])
    await expect(
      recorder.during(async () => {
        throw new Error('boom')
      })
    ).rejects.toThrow('boom')
    await expect(recorder.emit({ type: 'execution_started' })).rejects.toThrow(/is closed/)
  })
})
