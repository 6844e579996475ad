/** Small response and request helpers for the registry's node:http handlers. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { InjectedResponse } from './faults.js'

export function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string> = {}
): void {
  const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
  res.writeHead(status, { 'content-length': String(payload.length), ...headers })
  res.end(payload)
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), { 'content-type': 'application/json' })
}

/** The error shape cargo prints: `{"errors":[{"detail":"..."}]}`. */
export function sendError(
  res: ServerResponse,
  status: number,
  detail: string,
  headers: Record<string, string> = {}
): void {
  send(res, status, JSON.stringify({ errors: [{ detail }] }), {
    'content-type': 'application/json',
    ...headers
  })
}

export function sendInjected(res: ServerResponse, injected: InjectedResponse): void {
  send(res, injected.status, injected.body, injected.headers)
}

export type BodyResult = { ok: true; body: Buffer } | { ok: false; tooLarge: true }

/**
 * Reads the whole body, or stops keeping it past `limit` bytes (it still drains the rest so the
 * client can read the answer instead of seeing a reset).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let over = false
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        over = true
        chunks.length = 0
      } else if (!over) {
        chunks.push(chunk)
      }
    })
    req.on('end', () =>
      resolve(over ? { ok: false, tooLarge: true } : { ok: true, body: Buffer.concat(chunks) })
    )
    req.on('error', reject)
  })
}

/** A small JSON request body; undefined when it is too large or not JSON (the caller's schema says why). */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const read = await readBody(req, limit)
  if (!read.ok) return undefined
  try {
    return JSON.parse(read.body.toString('utf8'))
  } catch {
    return undefined
  }
}
