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
