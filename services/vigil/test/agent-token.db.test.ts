// `vigil agent-token create | list | revoke` against the store: the token is printed once, only its hash is
// kept, the vantage row is created when missing, and a revoked token no longer authenticates.
import { authenticateAgentToken, hashAgentToken, type Sql } from '@vigil/store'
import { createTestDatabase } from '@vigil/store/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { runVigil, withStore as withTestStore } from './support.js'

let database: Awaited<ReturnType<typeof createTestDatabase>>

beforeAll(async () => {
  database = await createTestDatabase({ migrated: false })
})
afterAll(async () => {
  await database.drop()
})

function vigil(...args: string[]) {
  return runVigil(database.connection, ['agent-token', ...args])
}

function withStore<T>(use: (sql: Sql) => Promise<T>): Promise<T> {
  return withTestStore(database.connection, use)
}

it('creates a token once, lists it, and revokes it', async () => {
  const created = await vigil('create', '--vantage', 'kz-almaty-1')
  expect(created.code).toBe(0)
  const token = created.stdout.trim()
  expect(token).toMatch(/^vgl_[\w-]{43}$/)
  expect(created.stderr).toContain('shown only now')

  // The shipped config names kz-almaty-1 (its default vantage id): the row comes from it.
  const stored = await withStore(async (sql) => {
    const [vantage] = await sql<
      { region: string; asn: number }[]
    >`select region, asn from vantages where id = 'kz-almaty-1'`
    const hashes = await sql<{ token_hash: string }[]>`select token_hash from agent_tokens`
    return {
      vantage,
      hashes: hashes.map((row) => row.token_hash),
      auth: await authenticateAgentToken(sql, token),
    }
  })
  expect(stored.vantage).toEqual({ region: 'Almaty', asn: 9198 })
  expect(stored.hashes).toEqual([hashAgentToken(token)])
  expect(stored.auth).toMatchObject({ vantageId: 'kz-almaty-1' })

  const other = await vigil('create', '--vantage', 'kz-aktau-9')
  expect(other.code).toBe(0)
  const list = await vigil('list')
  expect(list.code).toBe(0)
  expect(list.stdout).toMatch(/^1\tkz-almaty-1\t\S+\t\S+\tactive$/m)
  expect(list.stdout).toMatch(/^2\tkz-aktau-9\t\S+\t-\tactive$/m)
  expect(list.stdout).not.toContain(token)

  expect(await vigil('revoke', '1')).toMatchObject({ code: 0, stdout: 'revoked token 1\n' })
  expect((await vigil('revoke', '1')).code).toBe(1)
  expect((await vigil('list')).stdout).toMatch(/^1\tkz-almaty-1\t.*\trevoked \S+$/m)
  expect(await withStore((sql) => authenticateAgentToken(sql, token))).toBeNull()
})

it('refuses incomplete commands with usage', async () => {
  expect((await vigil('create')).code).toBe(2)
  expect((await vigil('revoke', 'abc')).code).toBe(2)
  expect((await vigil('rotate')).code).toBe(2)
})
