/**
 * Real HTTP for tests, except crates.io: its hosts answer 404, an empty crates.io like the
 * sandbox's empty directory source, so nothing reaches crates.io and no test depends on it.
 */
export const offlineFetch: typeof fetch = async (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input))
  if (/(^|\.)crates\.io$/.test(url.hostname)) return new Response('not found', { status: 404 })
  return globalThis.fetch(input, init)
}
