/** Time as the engine sees it; tests inject a fake so retries and readiness never really sleep. */
export interface Clock {
  now(): number
  sleep(ms: number): Promise<void>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: ms => new Promise(resolve => setTimeout(resolve, Math.max(0, ms)))
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
