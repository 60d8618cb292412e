// Stores for tests. Each test file gets a database of its own: on the embedded store a copy of a migrated
// template data directory, on a PostgreSQL server a fresh database that is dropped afterwards. Which one is
// chosen by VIGIL_TEST_STORE, set per project in the root vitest config.
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import postgres from 'postgres'
import { openStore, type Store } from './connect.js'
import { migrate } from './migrate.js'

export type TestStoreKind = 'embedded' | 'postgres'

export function testStoreKind(): TestStoreKind {
  return process.env.VIGIL_TEST_STORE === 'postgres' ? 'postgres' : 'embedded'
}

export interface TestStore extends Store {
  /** What a child process needs to reach the same database: DATABASE_URL, or a data directory. */
  readonly connection: { databaseUrl?: string; dataDir?: string }
}

/** Prepares a migrated template data directory for the embedded store; returns its path. */
export async function prepareEmbeddedTemplate(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-template-'))
  const store = await openStore({ dataDir: dir })
  try {
    await migrate(store.sql)
  } finally {
    await store.close()
  }
  return dir
}

/** Opens a fresh, migrated store; `close()` also removes the database. */
export async function openTestStore(options: { migrated?: boolean } = {}): Promise<TestStore> {
  const migrated = options.migrated ?? true
  return testStoreKind() === 'postgres' ? openServerTestStore(migrated) : openEmbeddedTestStore(migrated)
}

/** A fresh data directory (or server database) with nothing opened on it, for tests that start processes. */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<{
  connection: { databaseUrl?: string; dataDir?: string }
  drop(): Promise<void>
}> {
  const migrated = options.migrated ?? true
  if (testStoreKind() === 'embedded') {
    const dataDir = await createEmbeddedDataDir(migrated)
    return { connection: { dataDir }, drop: async () => rmSync(dataDir, { recursive: true, force: true }) }
  }
  const { databaseUrl, drop } = await createServerDatabase()
  if (migrated) {
    const store = await openStore({ databaseUrl })
    try {
      await migrate(store.sql)
    } catch (error) {
      await drop()
      throw error
    } finally {
      await store.close()
    }
  }
  return { connection: { databaseUrl }, drop }
}

async function createEmbeddedDataDir(migrated: boolean): Promise<string> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-test-'))
  const template = process.env.VIGIL_TEST_TEMPLATE
  if (!migrated) return dataDir
  if (template) {
    cpSync(template, dataDir, { recursive: true })
  } else {
    const store = await openStore({ dataDir })
    await migrate(store.sql).finally(() => store.close())
  }
  return dataDir
}

async function openEmbeddedTestStore(migrated: boolean): Promise<TestStore> {
  const dataDir = await createEmbeddedDataDir(migrated)
  const store = await openStore({ dataDir })
  return {
    ...store,
    connection: { dataDir },
    async close() {
      await store.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

async function createServerDatabase(): Promise<{ name: string; databaseUrl: string; drop(): Promise<void> }> {
  const adminUrl = process.env.VIGIL_TEST_DATABASE_URL
  if (!adminUrl) throw new Error('VIGIL_TEST_STORE=postgres needs VIGIL_TEST_DATABASE_URL')
  const name = `vigil_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  try {
    await admin.unsafe(`create database ${name}`)
  } finally {
    await admin.end({ timeout: 5 })
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const drop = async () => {
    const dropper = postgres(adminUrl, { max: 1, onnotice: () => {} })
    try {
      await dropper.unsafe(`drop database if exists ${name} with (force)`)
    } finally {
      await dropper.end({ timeout: 5 })
    }
  }
  return { name, databaseUrl: url.toString(), drop }
}

async function openServerTestStore(migrated: boolean): Promise<TestStore> {
  const { databaseUrl, drop } = await createServerDatabase()
  const store = await openStore({ databaseUrl })
  if (migrated) await migrate(store.sql)
  return {
    ...store,
    connection: { databaseUrl },
    async close() {
      await store.close()
      await drop()
    },
  }
}
