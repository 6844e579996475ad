/**
 * A loopback-only HTTP server whose close() really ends it: every socket is tracked and destroyed,
 * so no keep-alive connection holds the process (or a test) open.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

export interface Listener {
  port: number
  close(): Promise<void>
}

export interface Handlers {
  request(req: IncomingMessage, res: ServerResponse): void
  /** For `Expect: 100-continue`: answer early, or call `res.writeContinue()` and go on. */
  checkContinue(req: IncomingMessage, res: ServerResponse): void
}

export function listenLoopback(handlers: Handlers, port: number): Promise<Listener> {
  const sockets = new Set<Socket>()
  const server = createServer(handlers.request)
  server.on('checkContinue', handlers.checkContinue)
  server.on('connection', socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= new Promise<void>(resolve => {
      server.close(() => resolve())
      for (const socket of sockets) socket.destroy()
    })
    return closing
  }
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      const address = server.address()
      if (address === null || typeof address === 'string') {
        reject(new Error('the registry server has no TCP address'))
        return
      }
      resolve({ port: address.port, close })
    })
  })
}
