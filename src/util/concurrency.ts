export interface MapLimitOptions<R> {
  /** Once a result satisfies this, no further item is started; those already running still finish. */
  stopWhen?: (result: R) => boolean
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight, keeping results in item order.
 * Items never started (after a stop or a throw) are `undefined` in the result. A throw stops new
 * starts like `stopWhen` does and is rethrown once every started call has settled, so no work is
 * left running behind the caller's back.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  options: MapLimitOptions<R> = {}
): Promise<(R | undefined)[]> {
  const results: (R | undefined)[] = new Array<R | undefined>(items.length).fill(undefined)
  let next = 0
  let stopped = false
  let thrown: { error: unknown } | undefined

  const worker = async () => {
    while (!stopped && next < items.length) {
      const index = next++
      try {
        const result = await fn(items[index] as T, index)
        results[index] = result
        if (options.stopWhen?.(result)) stopped = true
      } catch (error) {
        stopped = true
        thrown ??= { error }
      }
    }
  }

  const workers = Math.max(1, Math.min(Math.floor(limit) || 1, items.length))
  await Promise.all(Array.from({ length: workers }, worker))
  if (thrown) throw thrown.error
  return results
}
