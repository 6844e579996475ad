import { runCargo } from '../../src/cargo/run.js'
import { runGit } from '../../src/checkout/git.js'
import { fakeClock, type Clock } from '../../src/clock.js'
import type { RunContext } from '../../src/context.js'
import { memoryLogger } from '../../src/log.js'

/** Hosts a test may reach: the embedded registries and fakes all listen on loopback. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1'])

/**
 * `fetch` for tests: real HTTP to loopback, and a refusal (a network error, as offline) for any
 * other host, so no test can reach crates.io even when the engine looks at the live index.
 */
export const loopbackFetch: typeof fetch = async (input, init) => {
  const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
  const host = new URL(href).hostname
  if (!LOOPBACK.has(host)) {
    return Promise.reject(new TypeError(`fetch failed: tests reach loopback only, not ${host}`))
  }
  return globalThis.fetch(input, init)
}

type FakeClock = ReturnType<typeof fakeClock>

export type TestContext<C extends Clock = FakeClock> = RunContext & {
  logger: ReturnType<typeof memoryLogger>
  clock: C
  /** Progress lines, in order. */
  lines: string[]
}

/**
 * The one run context of the engine tests: real cargo and real HTTP (loopback only) in the
 * sandbox's cargo world. The clock is fake by default, so retries and backoff never really sleep;
 * pass `systemClock` where a test waits for a real index.
 */
export function testContext<C extends Clock = FakeClock>(
  env: Record<string, string | undefined>,
  clock: C = fakeClock(Date.now()) as Clock as C
): TestContext<C> {
  const lines: string[] = []
  return {
    logger: memoryLogger(),
    clock,
    cargo: runCargo,
    git: runGit,
    fetch: loopbackFetch,
    env,
    random: () => 0.5,
    progress: line => void lines.push(line),
    lines
  }
}
