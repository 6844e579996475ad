import {
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  BlobSASPermissions,
  BlobServiceClient
} from '@azure/storage-blob'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/**
 * Microsoft's Azure Storage emulator (the `azurite` package), blob service only, in memory, on a
 * free loopback port, with an account whose key exists only for this process. The artifact and
 * cache clients talk to it through the signed URLs the results service stand-in hands out, as
 * they talk to Azure in production.
 */
export interface Azurite {
  /** `http://127.0.0.1:<port>/<account>` */
  url: string
  /** A URL for one blob, signed for `permissions` (`r`, `cw`, ...) as the results service signs them. */
  signedUrl(container: string, blob: string, permissions: string): string
  /** The blob's bytes, or undefined when it does not exist. */
  read(container: string, blob: string): Promise<Buffer | undefined>
  createContainer(name: string): Promise<void>
  close(): Promise<void>
}

const require = createRequire(import.meta.url)

function blobMain(): string {
  return join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'blob', 'main.js')
}

/** Resolves with the URL azurite prints once it listens; rejects if it exits first. */
function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = ''
    let listens = false
    // Both pipes are read for the emulator's whole life, so it can never block on a full one.
    const onData = (chunk: Buffer) => {
      if (listens) return
      output += chunk.toString()
      const match = /successfully listens on (http:\/\/\S+)/.exec(output)
      if (match) {
        listens = true
        resolve(match[1] as string)
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', code =>
      reject(new Error(`azurite exited (${code}) before listening:\n${output}`))
    )
  })
}

export async function startAzurite(): Promise<Azurite> {
  const account = 'rehearse'
  const key = randomBytes(64).toString('base64')
  const location = mkdtempSync(join(tmpdir(), 'sr-azurite-'))
  const child = spawn(
    process.execPath,
    [
      blobMain(),
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--inMemoryPersistence',
      // The storage SDK inside @actions/* may be newer than this emulator's API version list.
      '--skipApiVersionCheck',
      '--disableTelemetry'
    ],
    {
      // Whatever azurite writes beside its memory store lands in a folder removed on close.
      cwd: location,
      env: { PATH: process.env.PATH ?? '', AZURITE_ACCOUNTS: `${account}:${key}` },
      stdio: ['ignore', 'pipe', 'pipe']
    }
  )
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  let base: string
  try {
    base = await listening(child)
  } catch (error) {
    rmSync(location, { recursive: true, force: true })
    throw error
  }
  const url = `${base.replace(/\/+$/, '')}/${account}`
  const credential = new StorageSharedKeyCredential(account, key)
  const service = new BlobServiceClient(url, credential)
  return {
    url,
    signedUrl(container, blob, permissions) {
      const sas = generateBlobSASQueryParameters(
        {
          containerName: container,
          blobName: blob,
          permissions: BlobSASPermissions.parse(permissions),
          expiresOn: new Date(Date.now() + 60 * 60 * 1000)
        },
        credential
      ).toString()
      return `${url}/${container}/${blob.split('/').map(encodeURIComponent).join('/')}?${sas}`
    },
    async read(container, blob) {
      const client = service.getContainerClient(container).getBlobClient(blob)
      if (!(await client.exists())) return undefined
      return client.downloadToBuffer()
    },
    async createContainer(name) {
      await service.getContainerClient(name).createIfNotExists()
    },
    async close() {
      child.kill('SIGTERM')
      await exited
      rmSync(location, { recursive: true, force: true })
    }
  }
}
