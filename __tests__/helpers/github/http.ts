import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * What a test can make a stand-in do to one operation: answer `status` with `message`, or answer
 * normally but only after `delayMs` (slow), for the next `times` calls (every call when omitted).
 */
export interface Fault {
  status?: number
  message?: string
  delayMs?: number
  times?: number
}

/** Planned faults by operation name (a Twirp method, or a REST route's name). */
export class Faults {
  private readonly planned = new Map<string, Fault>()

  inject(operation: string, fault: Fault): void {
    this.planned.set(operation, { ...fault })
  }

  clear(): void {
    this.planned.clear()
  }

  /** The fault for this call of `operation`, counting it down. */
  take(operation: string): Fault | undefined {
    const fault = this.planned.get(operation)
    if (!fault) return undefined
    if (fault.times !== undefined) {
      fault.times -= 1
      if (fault.times <= 0) this.planned.delete(operation)
    }
    return fault
  }
}

/** One request as a stand-in saw it, for assertions on what a client called. */
export interface Call {
  operation: string
  status: number
}

export interface Listening {
  url: string
  close(): Promise<void>
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

export function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

/** An HTTP server on a free loopback port; `close` also drops kept-alive connections. */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>
): Promise<Listening> {
  const server: Server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { message: String(error) })
      else res.destroy()
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close(error => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      })
  }
}

/** The bearer token of a request (`Bearer x` or GitHub's older `token x`), or undefined. */
export function bearer(req: IncomingMessage): string | undefined {
  const match = /^(?:bearer|token)\s+(\S+)$/i.exec(req.headers.authorization ?? '')
  return match?.[1]
}
