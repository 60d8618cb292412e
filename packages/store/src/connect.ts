// Opens the one SQL client Vigil uses: postgres.js, against a PostgreSQL server when a URL is given,
// otherwise against an embedded PostgreSQL (PGlite) persisted in a data directory and served on a
// private Unix socket, so the same SQL and client code run in both shapes.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import { VigilError } from '@vigil/errors'
import postgres from 'postgres'
import { acquireDataDirLock } from './lock.js'

export type Sql = postgres.Sql
export type TransactionSql = postgres.TransactionSql

export interface Store {
  readonly sql: Sql
  readonly kind: 'embedded' | 'server'
  /** Where the data lives: the data directory, or the server URL with its password redacted. */
  readonly location: string
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>
  close(): Promise<void>
}

export interface OpenStoreOptions {
  /** A PostgreSQL connection string; when absent the embedded database in `dataDir` is used. */
  databaseUrl?: string | undefined
  /** Data directory of the embedded database (created if missing). */
  dataDir?: string | undefined
  /** Connections in the pool when talking to a server. */
  maxConnections?: number
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.databaseUrl) return openServerStore(options.databaseUrl, options.maxConnections ?? 10)
  return openEmbeddedStore(options.dataDir ?? './data')
}

const clientOptions: postgres.Options<Record<string, postgres.PostgresType>> = {
  onnotice: () => {},
  // int8 (ids, counts) comes back as a JavaScript number: Vigil's stay far below 2^53.
  types: {
    int8: {
      to: 20,
      from: [20],
      serialize: (value: number | bigint) => String(value),
      parse: (value: string) => Number(value),
    },
  },
  transform: { undefined: null },
}

async function openServerStore(databaseUrl: string, max: number): Promise<Store> {
  const sql = postgres(databaseUrl, { ...clientOptions, max, connect_timeout: 10 })
  const location = redactUrl(databaseUrl)
  try {
    await sql`select 1`
  } catch (cause) {
    await sql.end({ timeout: 1 }).catch(() => {})
    throw new VigilError('STORE_UNREACHABLE', `cannot reach the PostgreSQL server at ${location}`, {
      hint: 'check DATABASE_URL and that the server is running and accepts connections',
      cause,
    })
  }
  return {
    sql,
    kind: 'server',
    location,
    ping: () => ping(sql),
    close: () => sql.end({ timeout: 5 }),
  }
}

async function openEmbeddedStore(dataDir: string): Promise<Store> {
  const dir = path.resolve(dataDir)
  try {
    mkdirSync(dir, { recursive: true })
  } catch (cause) {
    throw new VigilError('DATA_DIR_UNUSABLE', `cannot create the data directory ${dir}`, { cause })
  }
  // PGlite is a single-process database: a second process opening the same files would corrupt them.
  const lock = acquireDataDirLock(dir)
  let db: PGlite | undefined
  let server: PGLiteSocketServer | undefined
  // The socket lives in a private temporary directory: Unix socket paths are limited to ~100 bytes.
  const socketDir = mkdtempSync(path.join(tmpdir(), 'vigil-pg-'))
  try {
    db = await PGlite.create({ dataDir: path.join(dir, 'pg') })
    server = new PGLiteSocketServer({ db, path: path.join(socketDir, '.s.PGSQL.5432') })
    await server.start()
  } catch (cause) {
    await server?.stop().catch(() => {})
    await db?.close().catch(() => {})
    rmSync(socketDir, { recursive: true, force: true })
    lock.release()
    throw new VigilError('STORE_UNREACHABLE', `cannot open the embedded database in ${dir}`, {
      hint: 'the data directory may belong to another version of Vigil or be damaged',
      cause,
    })
  }
  // One connection: PGlite runs one backend, and interleaving two clients' extended-protocol messages
  // on it is not safe.
  const sql = postgres({
    ...clientOptions,
    host: socketDir,
    port: 5432,
    user: 'postgres',
    database: 'postgres',
    max: 1,
  })
  const openedDb = db
  const openedServer = server
  let closed: Promise<void> | undefined
  return {
    sql,
    kind: 'embedded',
    location: dir,
    ping: () => ping(sql),
    close: () => {
      closed ??= (async () => {
        await sql.end({ timeout: 5 })
        await openedServer.stop()
        await openedDb.close()
        rmSync(socketDir, { recursive: true, force: true })
        lock.release()
      })()
      return closed
    },
  }
}

async function ping(sql: Sql): Promise<boolean> {
  try {
    await sql`select 1`
    return true
  } catch {
    return false
  }
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'the configured DATABASE_URL'
  }
}
