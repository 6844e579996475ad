/**
 * Load benchmark of the embedded registry (not a test): latency percentiles of sparse-index fetches
 * under 200 concurrent requests, and of publishes, sequential and concurrent.
 *
 *   npx tsc -p bench/registry-load.tsconfig.json && node build/bench/bench/registry-load.js
 *
 * The client is node:http with a keep-alive pool of exactly 200 sockets. Global fetch (undici) is
 * not used: its pool keeps opening connections in bursts for the first few thousand requests,
 * which adds a ~1 s tail that a plain /health loop shows just the same, so it measures the client.
 */
import { randomBytes } from 'node:crypto'
import { Agent, request } from 'node:http'
import { performance } from 'node:perf_hooks'
import { encodePublishBody, startRegistry } from '../src/registry/index.js'
import { indexFilePath } from '../src/sparse/client.js'

const CRATES = 50
const INDEX_CONCURRENCY = 200
const INDEX_REQUESTS = 10_000
const PUBLISHES = 400
const PUBLISH_CONCURRENCY = 20

const agent = new Agent({ keepAlive: true, maxSockets: INDEX_CONCURRENCY })

function call(method: string, url: string, headers: Record<string, string> = {}, body?: Buffer) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(url, { method, headers, agent }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() })
      )
    })
    req.on('error', reject)
    req.end(body)
  })
}

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  return sorted[Math.max(0, i)] ?? Number.NaN
}

function report(label: string, latencies: number[], wallMs: number): void {
  const sorted = [...latencies].sort((a, b) => a - b)
  const f = (n: number) => n.toFixed(2).padStart(8)
  console.log(
    `${label.padEnd(38)} n=${String(sorted.length).padStart(5)}  p50=${f(percentile(sorted, 50))} ms` +
      `  p99=${f(percentile(sorted, 99))} ms  max=${f(sorted.at(-1) ?? 0)} ms` +
      `  ${((sorted.length / wallMs) * 1000).toFixed(0)} req/s`
  )
}

function metadata(name: string, vers: string) {
  const base = name === 'bench-base'
  return {
    name,
    vers,
    deps: base
      ? []
      : [
          {
            name: 'bench-base',
            version_req: '^1',
            features: [],
            optional: true,
            default_features: true,
            kind: 'normal'
          }
        ],
    features: base ? {} : { extra: ['dep:bench-base'] },
    authors: [],
    description: 'benchmark crate',
    license: 'MIT',
    keywords: ['bench'],
    categories: []
  }
}

/** Runs `jobs` with at most `concurrency` in flight; returns each job's latency in ms. */
async function timed(jobs: Array<() => Promise<void>>, concurrency: number) {
  const latencies: number[] = []
  let next = 0
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++] as () => Promise<void>
      const start = performance.now()
      await job()
      latencies.push(performance.now() - start)
    }
  }
  const start = performance.now()
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { latencies, wallMs: performance.now() - start }
}

async function main(): Promise<void> {
  const registry = await startRegistry()
  const crate = randomBytes(4096)
  const publish = (name: string, vers: string) => async () => {
    const body = encodePublishBody(metadata(name, vers), crate)
    const res = await call(
      'PUT',
      `${registry.url}/api/v1/crates/new`,
      { authorization: registry.token },
      body
    )
    if (res.status !== 200) throw new Error(`publish ${name}@${vers}: ${res.status} ${res.text}`)
  }
  const fetchIndex = (i: number) => async () => {
    const path = indexFilePath(`bench-crate-${i % CRATES}`)
    const res = await call('GET', `${registry.url}/api/v1/crates/${path}`)
    if (res.status !== 200) throw new Error(`index fetch ${path}: ${res.status}`)
  }
  const fetches = (n: number) => Array.from({ length: n }, (_, i) => fetchIndex(i))
  try {
    await publish('bench-base', '1.0.0')()
    const seed = await timed(
      Array.from({ length: CRATES }, (_, i) => publish(`bench-crate-${i}`, '1.0.0')),
      1
    )
    report('publish, sequential (new crates)', seed.latencies, seed.wallMs)

    const cold = await timed(fetches(INDEX_CONCURRENCY * 5), INDEX_CONCURRENCY)
    report('index fetch, 200 concurrent, cold', cold.latencies, cold.wallMs)
    const warm = await timed(fetches(INDEX_REQUESTS), INDEX_CONCURRENCY)
    report('index fetch, 200 concurrent', warm.latencies, warm.wallMs)

    const pubs = await timed(
      Array.from({ length: PUBLISHES }, (_, i) =>
        publish(`bench-crate-${i % CRATES}`, `1.${1 + Math.floor(i / CRATES)}.0`)
      ),
      PUBLISH_CONCURRENCY
    )
    report(`publish, ${PUBLISH_CONCURRENCY} concurrent (new versions)`, pubs.latencies, pubs.wallMs)

    const [mixedPubs, mixedIndex] = await Promise.all([
      timed(
        Array.from({ length: 100 }, (_, i) => publish(`bench-mixed-${i}`, '1.0.0')),
        PUBLISH_CONCURRENCY
      ),
      timed(fetches(INDEX_REQUESTS / 2), INDEX_CONCURRENCY - PUBLISH_CONCURRENCY)
    ])
    report('index fetch, 180 concurrent + publishes', mixedIndex.latencies, mixedIndex.wallMs)
    report('publish, 20 concurrent + index load', mixedPubs.latencies, mixedPubs.wallMs)
  } finally {
    agent.destroy()
    await registry.close()
  }
}

await main()
