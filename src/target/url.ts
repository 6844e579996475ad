import { UserError } from '../errors.js'

/**
 * The cargo sparse index URL (`sparse+...`, ending in `/`) of a registry given either as a full
 * index URL starting with `sparse+` or as the base URL of a kellnr-layout registry, whose index
 * lives at `<base>/api/v1/crates/`.
 */
export function indexUrlFor(urlOrIndex: string): string {
  const given = urlOrIndex.trim()
  const sparse = given.startsWith('sparse+')
  const http = sparse ? given.slice('sparse+'.length) : given
  let parsed: URL
  try {
    parsed = new URL(http)
  } catch {
    throw notAUrl(urlOrIndex)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw notAUrl(urlOrIndex)
  if (sparse) return given.endsWith('/') ? given : `${given}/`
  return `sparse+${http.replace(/\/+$/, '')}/api/v1/crates/`
}

/** Where a sparse index publishes its `config.json`. */
export function configJsonUrlFor(indexUrl: string): string {
  return `${indexUrlFor(indexUrl).slice('sparse+'.length)}config.json`
}

function notAUrl(given: string): UserError {
  return new UserError(
    `'${given}' is not a registry URL`,
    'give an http(s) base URL such as http://localhost:8000, or a sparse index URL such as sparse+https://host/index/',
    2
  )
}
