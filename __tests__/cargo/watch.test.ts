import { describe, expect, it } from '@jest/globals'
import type { CargoRunner } from '../../src/cargo/run.js'
import { cargoActivity, progressLine, watchCargo, type Timers } from '../../src/cargo/watch.js'

/** Timers driven by the test: `tick()` fires every interval callback once. */
function manualTimers(): Timers & { tick(): void; live: number } {
  const callbacks = new Map<number, () => void>()
  let next = 0
  return {
    setInterval: fn => {
      callbacks.set(++next, fn)
      return next
    },
    clearInterval: handle => void callbacks.delete(handle as number),
    tick: () => callbacks.forEach(fn => fn()),
    get live() {
      return callbacks.size
    }
  }
}

/** A cargo that prints `lines`, then waits for the test to let it finish. */
function scriptedCargo(lines: string[]): {
  cargo: CargoRunner
  finish(): void
  printed: Promise<void>
} {
  let finish = () => undefined as void
  let printed = () => undefined as void
  const whenPrinted = new Promise<void>(resolve => (printed = resolve))
  const cargo: CargoRunner = async (_args, options = {}) => {
    for (const line of lines) options.onLine?.(line, 'stderr')
    printed()
    await new Promise<void>(resolve => (finish = resolve))
    return { exitCode: 0, stdout: '', stderr: lines.join('\n') }
  }
  return { cargo, finish: () => finish(), printed: whenPrinted }
}

describe('cargoActivity', () => {
  it("takes cargo's status verb and subject, without the local path", () => {
    expect(cargoActivity('   Compiling g-app v0.1.0 (/tmp/x/g-app)')).toBe('Compiling g-app v0.1.0')
    expect(cargoActivity('   Verifying s-slow v0.1.0 (/tmp/x)')).toBe('Verifying s-slow v0.1.0')
    expect(cargoActivity('   Uploading a v0.1.0 (/w/a)')).toBe('Uploading a v0.1.0')
    expect(cargoActivity('  Packaging b v1.2.3 (C:\\w\\b)')).toBe('Packaging b v1.2.3')
  })

  it('ignores diagnostics and source lines', () => {
    expect(cargoActivity('error[E0425]: cannot find function')).toBeUndefined()
    expect(cargoActivity('2 |     Compiling(x)')).toBeUndefined()
  })
})

describe('progressLine', () => {
  it('says which command, how long so far and what cargo is on', () => {
    expect(progressLine('cargo package', 'Compiling g v0.1.0', 75_000)).toBe(
      'cargo package: 1m15s so far; cargo is on: Compiling g v0.1.0'
    )
    expect(progressLine('cargo publish', undefined, 15_000)).toBe(
      'cargo publish: 15s so far; cargo has not said what it is on yet'
    )
  })
})

describe('watchCargo', () => {
  it('reports the latest activity on every interval while cargo runs, and stops after', async () => {
    const timers = manualTimers()
    let now = 0
    const lines: string[] = []
    const script = scriptedCargo(['   Compiling a v0.1.0 (/w/a)', '   Verifying b v0.2.0 (/w/b)'])
    const watched = watchCargo(script.cargo, {
      progress: l => void lines.push(l),
      now: () => now,
      timers
    })
    const running = watched(['package', '-p', 'a', '-p', 'b'])
    await script.printed
    now = 15_000
    timers.tick()
    now = 30_000
    timers.tick()
    script.finish()
    await running
    expect(lines).toEqual([
      'cargo package: 15s so far; cargo is on: Verifying b v0.2.0',
      'cargo package: 30s so far; cargo is on: Verifying b v0.2.0'
    ])
    expect(timers.live).toBe(0)
  })

  it('puts each command in a ::group:: section, holding back one that ran beside another', async () => {
    const written: string[] = []
    const first = scriptedCargo(['one'])
    const second = scriptedCargo(['two'])
    const options = {
      progress: () => undefined,
      now: () => 0,
      timers: manualTimers(),
      groups: { write: (l: string) => void written.push(l) }
    }
    const shared = watchCargo(
      (args, o) => (args[0] === 'a' ? first.cargo : second.cargo)(args, o),
      options
    )
    const runA = shared(['a'])
    await first.printed
    const runB = shared(['b'])
    await second.printed
    second.finish()
    await runB
    first.finish()
    await runA
    expect(written).toEqual([
      '::group::cargo a',
      'one',
      '::endgroup::',
      '::group::cargo b',
      'two',
      '::endgroup::'
    ])
  })
})
