// Opens the one SQL client Vigil uses: postgres.js, against a PostgreSQL server when a URL is given,
// otherwise against an embedded PostgreSQL (PGlite) persisted in a data directory and served on a
// private Unix socket, so the same SQL and client code run in both shapes.
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { setFlagsFromString } from 'node:v8'
import type { PGlite } from '@electric-sql/pglite'
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import { VigilError } from '@vigil/errors'
import postgres from 'postgres'
import { acquireDataDirLock, announceInDataDirLock } from './lock.js'

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
    // Loaded only here: a process on a PostgreSQL server, or an agent, never loads the embedded database.
    const { PGlite } = await import('@electric-sql/pglite')
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket')
    const startParams = embeddedStartParams(PGlite)
    const pgDir = path.join(dir, 'pg')
    if (!existsSync(path.join(pgDir, 'PG_VERSION'))) await initEmbeddedDatabase(pgDir, startParams)
    // PostgreSQL's WebAssembly is compiled by V8's baseline compiler only: the optimising tier recompiles
    // its hot functions into about 65 MiB more machine code that stays resident (measured over a few
    // hundred catalog and aggregate queries, which ran no slower without it on a busy 2-core machine).
    // The flag is read when a WebAssembly module is compiled, and PGlite is the process' only one.
    setFlagsFromString('--liftoff-only')
    db = await PGlite.create({ dataDir: pgDir, startParams })
    server = new PGLiteSocketServer({ db, path: path.join(socketDir, '.s.PGSQL.5432') })
    await server.start()
    // Named in the lock, so a process that takes over the lock after this one was killed removes it.
    announceInDataDirLock(dir, { pgsocket: socketDir })
  } catch (cause) {
    await server?.stop().catch(() => {})
    await db?.close().catch(() => {})
    rmSync(socketDir, { recursive: true, force: true })
    lock.release()
    if (cause instanceof VigilError) throw cause
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
    // Never recycled (postgres.js replaces a connection after 30 to 60 minutes by default): behind the
    // socket is always the same single backend, which keeps the prepared statements of every connection
    // that ever reached it, so each replacement would leave its statements behind for good.
    max_lifetime: null,
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

/**
 * The embedded server's settings: PGlite's own start parameters plus memory settings for a small
 * machine. PGlite runs PostgreSQL inside one WebAssembly memory that never shrinks, so every buffer it
 * touches once stays resident for the life of the process:
 * - `shared_buffers` is touched whole at start (PGlite's default is PostgreSQL's 128MB); at 16MB it
 *   costs about 125 MiB less. PGlite reads its data files through the operating system's page cache,
 *   so a page that is not in shared buffers costs a copy, rarely a disk read.
 * - `maintenance_work_mem` (default 64MB) is what an index build or vacuum may take at once, and would
 *   stay resident after the first one.
 * - `temp_buffers` (default 8MB) only serves temporary tables, which Vigil does not use.
 * Nothing here changes what is stored or the SQL that runs. Measured by bench/memory.ts.
 */
export const EMBEDDED_MEMORY_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '16MB',
  maintenance_work_mem: '16MB',
  temp_buffers: '1MB',
}

/** PGlite's own start parameters (single-user mode and the like) followed by the memory settings. */
function embeddedStartParams(pglite: typeof PGlite): string[] {
  return [
    ...(pglite as unknown as { defaultStartParams: string[] }).defaultStartParams,
    ...Object.entries(EMBEDDED_MEMORY_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
  ]
}

const execFileAsync = promisify(execFile)

/**
 * Creates a new embedded database in `pgDir` in a child process. PGlite's first start runs initdb in
 * two more WebAssembly instances beside the server's; their memories (near 1 GiB at the peak) are not
 * returned to the operating system by the process that ran them, so the process that then serves the
 * database would keep them for its whole life. A child process gives them back when it exits.
 */
async function initEmbeddedDatabase(pgDir: string, startParams: string[]): Promise<void> {
  // The CommonJS entry point of the same PGlite this module imports, so the child needs no loader.
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite')
  const script = `const { PGlite } = require(${JSON.stringify(entry)});
PGlite.create({ dataDir: ${JSON.stringify(pgDir)}, startParams: ${JSON.stringify(startParams)} })
  .then((db) => db.close())
  .catch((error) => { console.error(error && error.stack ? error.stack : String(error)); process.exitCode = 1 })`
  try {
    await execFileAsync(process.execPath, ['--liftoff-only', '-e', script], { maxBuffer: 1_048_576 })
  } catch (cause) {
    const stderr = (cause as { stderr?: string }).stderr?.trim()
    throw new VigilError('STORE_UNREACHABLE', `cannot create the embedded database in ${pgDir}`, {
      hint: stderr ? `initdb said: ${stderr.slice(-500)}` : 'check that the data directory is writable',
      cause,
    })
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
