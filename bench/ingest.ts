// Ingestion throughput: measurements per second accepted through POST /v1/ingest (gzip batches of 1,000
// from several agents in parallel) into real PostgreSQL, next to the same rows loaded with COPY in the same
// run (the ceiling on this machine), and the rate through the api on the embedded database.
// Run: node --import tsx bench/ingest.ts [--agents 8] [--batches 25] [--embedded-batches 10]
// Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) to create and drop a fresh database.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Worker } from 'node:worker_threads'
import { gzipSync } from 'node:zlib'
import { buildApp, type IngestMeasurement } from '@vigil/api'
import { createMetricsRegistry } from '@vigil/metrics'
import { createAgentToken, ensureVantage, migrate, openStore, type Store } from '@vigil/store'
import postgres from 'postgres'

const args = process.argv.slice(2)
function option(name: string, fallback: number): number {
  const index = args.indexOf(`--${name}`)
  const value = index >= 0 ? Number(args[index + 1]) : fallback
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} needs a positive whole number`)
  return value
}

const AGENTS = option('agents', 8)
const BATCHES = option('batches', 25)
const EMBEDDED_BATCHES = option('embedded-batches', 10)
const BATCH_SIZE = 1_000
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const TARGETS = [
  'social/facebook',
  'social/instagram',
  'messengers/telegram',
  'news/azattyq',
  'control/wikipedia',
]

/** Batches of realistic measurements for one agent, as it would spool and upload them. */
function agentBatches(vantage: string, batches: number): IngestMeasurement[][] {
  const start = Date.UTC(2019, 6, 6, 4)
  return Array.from({ length: batches }, (_, b) =>
    Array.from({ length: BATCH_SIZE }, (_, i) => {
      const n = b * BATCH_SIZE + i
      const ok = n % 3 !== 0
      return {
        id: `${vantage}:${randomUUID()}`,
        measuredAt: new Date(start + n * 1_000).toISOString(),
        vantage,
        target: TARGETS[n % TARGETS.length]!,
        kind: 'https',
        region: 'Almaty',
        asn: 9198,
        ok,
        failure: ok ? null : 'connection_reset',
        durationMs: 80 + (n % 400),
        details: ok
          ? { statusCode: 200, bodyLength: 51_234, tlsVersion: 'TLSv1.3', ip: '157.240.9.35' }
          : { statusCode: null, ip: '157.240.9.35' },
      }
    }),
  )
}

async function seedAgents(store: Store, count: number): Promise<string[]> {
  const tokens: string[] = []
  for (let a = 0; a < count; a++) {
    const id = `bench-${a}`
    await ensureVantage(store.sql, {
      id,
      country: 'KZ',
      region: 'Almaty',
      asn: 9198,
      network: null,
      role: 'in_country',
    })
    tokens.push((await createAgentToken(store.sql, id)).token)
  }
  return tokens
}

/** Every agent uploads its batches one after another, all agents at once; returns measurements per second. */
async function ingestRate(store: Store, agents: number, batches: number): Promise<number> {
  const tokens = await seedAgents(store, agents)
  const app = await buildApp({
    store,
    registry: createMetricsRegistry({ version: 'bench', defaultMetrics: false }),
    version: 'bench',
    ingest: { maxBytes: 64 * 1_048_576, ratePerMinute: 1_000_000 },
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/v1/ingest`
  // Bodies are built and compressed before the clock starts: the agents' own work is not the api's rate.
  const bodies = tokens.map((_, a) =>
    agentBatches(`bench-${a}`, batches).map((measurements) =>
      gzipSync(JSON.stringify({ sentAt: new Date().toISOString(), measurements })),
    ),
  )
  try {
    const started = performance.now()
    await uploadFromWorker(url, tokens, bodies)
    const seconds = (performance.now() - started) / 1000
    const n = (await store.sql<{ n: number }[]>`select count(*)::int as n from measurements`)[0]!.n
    if (n !== agents * batches * BATCH_SIZE)
      throw new Error(`expected ${agents * batches * BATCH_SIZE} rows, found ${n}`)
    return n / seconds
  } finally {
    await app.close()
  }
}

// The agents run in a worker thread, as they would on other machines: their HTTP client work does not
// share the api's event loop.
const AGENTS_WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const { url, tokens, bodies, batchSize } = workerData
Promise.all(tokens.map(async (token, a) => {
  for (const body of bodies[a]) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body,
    })
    const result = await response.json()
    if (response.status !== 200 || result.new !== batchSize) {
      throw new Error('upload failed: ' + response.status + ' ' + JSON.stringify(result))
    }
  }
})).then(() => parentPort.postMessage('done'), (error) => parentPort.postMessage(String(error)))
`

function uploadFromWorker(url: string, tokens: string[], bodies: Buffer[][]): Promise<void> {
  const worker = new Worker(AGENTS_WORKER, {
    eval: true,
    workerData: { url, tokens, bodies, batchSize: BATCH_SIZE },
  })
  return new Promise<void>((resolve, reject) => {
    worker.once('message', (message) => {
      void worker.terminate()
      if (message === 'done') resolve()
      else reject(new Error(String(message)))
    })
    worker.once('error', reject)
  })
}

// COPY's text format: tab-separated, \N for null, backslash escapes.
function copyField(value: string | number | boolean | null): string {
  if (value === null) return '\\N'
  return String(value)
    .replace(/\\/g, '\\\\')
    .replace(/\t/g, '\\t')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
}

/** The same rows, with the same indexes in place, through COPY on one connection per agent. */
async function copyRate(databaseUrl: string, agents: number, batches: number): Promise<number> {
  const sql = postgres(databaseUrl, { max: agents, onnotice: () => {} })
  try {
    await sql`truncate measurements`
    const lines = Array.from({ length: agents }, (_, a) =>
      agentBatches(`bench-${a}`, batches).map((batch) =>
        batch
          .map((m) =>
            [
              m.measuredAt,
              new Date().toISOString(),
              m.vantage,
              m.target,
              m.kind,
              m.region ?? null,
              m.asn ?? null,
              m.ok,
              m.failure,
              m.durationMs ?? null,
              JSON.stringify(m.details ?? {}),
              'agent',
              m.id,
            ]
              .map(copyField)
              .join('\t'),
          )
          .join('\n')
          .concat('\n'),
      ),
    )
    const started = performance.now()
    await Promise.all(
      lines.map(async (chunks) => {
        const writable = await sql`
          copy measurements (measured_at, received_at, vantage_id, target_id, kind, region, asn, ok, failure,
                             duration_ms, details, source, idempotency_key) from stdin`.writable()
        await pipeline(async function* () {
          for (const chunk of chunks) yield chunk
        }, writable)
      }),
    )
    const seconds = (performance.now() - started) / 1000
    const n = (await sql<{ n: number }[]>`select count(*)::int as n from measurements`)[0]!.n
    return n / seconds
  } finally {
    await sql.end({ timeout: 5 })
  }
}

async function onServer(): Promise<{ ingest: number; copy: number }> {
  const name = `vigil_bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  try {
    const store = await openStore({ databaseUrl: url.toString(), maxConnections: AGENTS + 2 })
    let ingest: number
    try {
      await migrate(store.sql)
      ingest = await ingestRate(store, AGENTS, BATCHES)
    } finally {
      await store.close()
    }
    const copy = await copyRate(url.toString(), AGENTS, BATCHES)
    return { ingest, copy }
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`)
    await admin.end({ timeout: 5 })
  }
}

async function onEmbedded(): Promise<number> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-'))
  try {
    const store = await openStore({ dataDir })
    try {
      await migrate(store.sql)
      return await ingestRate(store, 2, EMBEDDED_BATCHES / 2 >= 1 ? Math.floor(EMBEDDED_BATCHES / 2) : 1)
    } finally {
      await store.close()
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const rows = AGENTS * BATCHES * BATCH_SIZE
const server = await onServer()
const embedded = await onEmbedded()
const fmt = (rate: number) => `${Math.round(rate).toLocaleString('en-US')} measurements/s`
console.log(
  `PostgreSQL server, ${rows.toLocaleString('en-US')} rows, ${AGENTS} agents, batches of ${BATCH_SIZE}:`,
)
console.log(`  POST /v1/ingest (gzip)   ${fmt(server.ingest)}`)
console.log(`  COPY (${AGENTS} connections)  ${fmt(server.copy)}`)
console.log(`  ratio ingest / COPY      ${(server.ingest / server.copy).toFixed(2)} (target >= 0.50)`)
console.log(
  `Embedded database (PGlite), ${(Math.floor(EMBEDDED_BATCHES / 2) * 2 * BATCH_SIZE).toLocaleString('en-US')} rows, 2 agents:`,
)
console.log(`  POST /v1/ingest (gzip)   ${fmt(embedded)}`)
