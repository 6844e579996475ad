import { afterEach, describe, expect, it } from '@jest/globals'
import { EventEmitter } from 'node:events'
import {
  handleInterrupts,
  interruptedBy,
  InterruptedError,
  interruptible,
  interruptExitCode,
  resetInterrupt,
  type SignalSource
} from '../../src/cargo/interrupt.js'
import { runCargo } from '../../src/cargo/run.js'
import { readFileSync } from 'node:fs'

/** Whether a process runs (a zombie waiting to be reaped by init does not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

afterEach(() => resetInterrupt())

describe('interrupts', () => {
  it('the first signal marks the run interrupted; cargo then refuses to start and waits end', async () => {
    const signals = new EventEmitter()
    const exits: number[] = []
    const stop = handleInterrupts(signals as unknown as SignalSource, code => void exits.push(code))
    const waiting = interruptible(new Promise(() => undefined))

    signals.emit('SIGTERM')

    expect(interruptedBy()).toBe('SIGTERM')
    await expect(waiting).rejects.toBeInstanceOf(InterruptedError)
    await expect(runCargo(['--version'])).rejects.toThrow('interrupted by SIGTERM')
    expect(exits).toEqual([])
    stop()
    expect(signals.listenerCount('SIGINT')).toBe(0)
  })

  it('a second signal exits at once with 128 + its number', () => {
    const signals = new EventEmitter()
    const exits: number[] = []
    handleInterrupts(signals as unknown as SignalSource, code => void exits.push(code))
    signals.emit('SIGINT')
    signals.emit('SIGINT')
    expect(exits).toEqual([130])
    expect(interruptExitCode('SIGTERM')).toBe(143)
  })

  it('an interrupted error is a failure (exit 1 class), not bad input', () => {
    const error = new InterruptedError('SIGINT')
    expect(error.exitCode).toBe(1)
    expect(error.message).toBe('interrupted by SIGINT')
  })
})

describe('stopping one cargo command', () => {
  it('aborting its signal stops the whole process group and resolves with a failure', async () => {
    const stop = new AbortController()
    let grandchild = 0
    const result = await runCargo(['-c', 'sleep 30 & echo $!; wait'], {
      env: { CARGO: '/bin/sh' },
      signal: stop.signal,
      onLine: line => {
        grandchild = Number(line)
        stop.abort()
      }
    })
    expect(result.exitCode).not.toBe(0)
    expect(grandchild).toBeGreaterThan(0)
    // the sleep the shell started went with the group
    await new Promise(resolve => setTimeout(resolve, 50))
    expect(running(grandchild)).toBe(false)
  })

  it('a signal aborted before the start stops cargo at once', async () => {
    const stop = new AbortController()
    stop.abort()
    const result = await runCargo(['30'], { env: { CARGO: 'sleep' }, signal: stop.signal })
    expect(result.exitCode).not.toBe(0)
  })
})
