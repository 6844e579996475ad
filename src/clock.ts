/** Time as the engine sees it; tests inject a fake so retries and readiness never really sleep. */
export interface Clock {
  now(): number
  /** Resolves after `ms`, or as soon as `cut` is aborted (its timer then no longer holds the process). */
  sleep(ms: number, cut?: AbortSignal): Promise<void>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, cut) =>
    new Promise(resolve => {
      if (cut?.aborted) return resolve()
      const timer = setTimeout(done, Math.max(0, ms))
      function done() {
        clearTimeout(timer)
        cut?.removeEventListener('abort', done)
        resolve()
      }
      cut?.addEventListener('abort', done, { once: true })
    })
}

/** A clock whose sleeps advance virtual time instantly; records every sleep for assertions. */
export function fakeClock(start = Date.UTC(2026, 0, 1)): Clock & { sleeps: number[] } {
  let t = start
  const sleeps: number[] = []
  return {
    sleeps,
    now: () => t,
    sleep: async ms => {
      sleeps.push(ms)
      t += Math.max(0, ms)
    }
  }
}
