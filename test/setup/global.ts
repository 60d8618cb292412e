// Runs once per test project before any test file. The embedded project gets a migrated template data
// directory that each test file copies (creating a PGlite database from scratch takes seconds); the
// postgres project checks the server is really there, so a run against it can never pass by skipping.
import { rmSync } from 'node:fs'
import { prepareEmbeddedTemplate } from '@vigil/store/testing'
import postgres from 'postgres'
import type { TestProject } from 'vitest/node'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = project.config.env ?? {}
  if (env.VIGIL_TEST_STORE === 'postgres') {
    const url = env.VIGIL_TEST_DATABASE_URL
    if (!url) throw new Error('the postgres test project needs DATABASE_URL')
    const sql = postgres(url, { max: 1, connect_timeout: 10, onnotice: () => {} })
    try {
      await sql`select 1`
    } catch (error) {
      throw new Error(`DATABASE_URL is set but the server does not answer: ${(error as Error).message}`)
    } finally {
      await sql.end({ timeout: 5 })
    }
    return async () => {}
  }
  const template = await prepareEmbeddedTemplate()
  process.env.VIGIL_TEST_TEMPLATE = template
  return async () => rmSync(template, { recursive: true, force: true })
}
