// Runs the `vigil` command in-process against a test database, and opens that database for a check.
import { openStore, type Sql } from '@vigil/store'
import { runCli } from '../src/cli.js'

export interface TestConnection {
  databaseUrl?: string
  dataDir?: string
}

/** `vigil <args>` on the given database (DATABASE_URL, or --data-dir for the embedded store). */
export async function runVigil(
  connection: TestConnection,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const { databaseUrl, dataDir } = connection
  const env: NodeJS.ProcessEnv = databaseUrl ? { DATABASE_URL: databaseUrl } : {}
  const code = await runCli([...args, ...(dataDir ? ['--data-dir', dataDir] : [])], env, {
    stdout: (text) => {
      stdout += text
    },
    stderr: (text) => {
      stderr += text
    },
  })
  return { code, stdout, stderr }
}

/** Opens the database, runs `use`, and closes it again (the embedded store allows one process at a time). */
export async function withStore<T>(connection: TestConnection, use: (sql: Sql) => Promise<T>): Promise<T> {
  const store = await openStore(connection)
  try {
    return await use(store.sql)
  } finally {
    await store.close()
  }
}
