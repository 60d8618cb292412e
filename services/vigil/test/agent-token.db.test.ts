// `vigil agent-token create | list | revoke` against the store: the token is printed once, only its hash is
// kept, the vantage row is created when missing, and a revoked token no longer authenticates.
import { authenticateAgentToken, hashAgentToken, type Sql } from '@vigil/store'
import { createTestDatabase } from '@vigil/store/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { runVigil, withStore as withTestStore } from './support.js'

let database: Awaited<ReturnType<typeof createTestDatabase>>

beforeAll(async () => {
  database = await createTestDatabase({ migrated: true })
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
  const created = await vigil(
    'create',
    '--vantage',
    'kz-almaty-7',
    '--role',
    'in_country',
    '--region',
    'Almaty',
    '--asn',
    '9198',
  )
  expect(created.code).toBe(0)
  const token = created.stdout.trim()
  expect(token).toMatch(/^vgl_[\w-]{43}$/)
  expect(created.stderr).toContain('shown only now')

  const stored = await withStore(async (sql) => {
    const [vantage] = await sql<
      { region: string; asn: number }[]
    >`select region, asn from vantages where id = 'kz-almaty-7'`
    const hashes = await sql<{ token_hash: string }[]>`select token_hash from agent_tokens`
    return {
      vantage,
      hashes: hashes.map((row) => row.token_hash),
      auth: await authenticateAgentToken(sql, token),
    }
  })
  expect(stored.vantage).toEqual({ region: 'Almaty', asn: 9198 })
  expect(stored.hashes).toEqual([hashAgentToken(token)])
  expect(stored.auth).toMatchObject({ vantageId: 'kz-almaty-7' })

  const other = await vigil(
    'create',
    '--vantage',
    'kz-aktau-9',
    '--role',
    'in_country',
    '--region',
    'Aktau',
    '--asn',
    '9198',
  )
  expect(other.code).toBe(0)
  const list = await vigil('list')
  expect(list.code).toBe(0)
  expect(list.stdout).toMatch(/^1\tkz-almaty-7\t\S+\t\S+\tactive$/m)
  expect(list.stdout).toMatch(/^2\tkz-aktau-9\t\S+\t-\tactive$/m)
  expect(list.stdout).not.toContain(token)

  expect(await vigil('revoke', '1')).toMatchObject({ code: 0, stdout: 'revoked token 1\n' })
  expect((await vigil('revoke', '1')).code).toBe(1)
  expect((await vigil('list')).stdout).toMatch(/^1\tkz-almaty-7\t.*\trevoked \S+$/m)
  expect(await withStore((sql) => authenticateAgentToken(sql, token))).toBeNull()
})

it("refuses the config's own vantage, whose rows only this process' prober writes", async () => {
  // The shipped config's vantage id is kz-almaty-1.
  for (const args of [[], ['--role', 'in_country', '--region', 'Almaty', '--asn', '9198']]) {
    const result = await vigil('create', '--vantage', 'kz-almaty-1', ...args)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("--vantage: kz-almaty-1 is this Vigil's own vantage")
    expect(result.stdout).toBe('')
  }
  const tokens = await withStore((sql) => sql`select id from agent_tokens where vantage_id = 'kz-almaty-1'`)
  expect(tokens).toHaveLength(0)
})

it.each([
  ['--vantage', 'kz-\u202Eeno', 'U+202E'],
  ['--vantage', 'kz\u200Balmaty-2', 'U+200B'],
  ['--vantage', 'kz-almaty-\u2066x', 'U+2066'],
  ['--region', 'Almaty\u200F', 'U+200F'],
  ['--network', 'Kcell\uFEFF', 'U+FEFF'],
])('refuses %s holding an invisible or bidirectional control character', async (option, value, code) => {
  const args: Record<string, string> = {
    '--vantage': 'kz-almaty-8',
    '--role': 'in_country',
    '--region': 'Almaty',
    '--asn': '9198',
    [option]: value,
  }
  const result = await vigil('create', ...Object.entries(args).flat())
  expect(result.code).toBe(2)
  expect(result.stderr).toContain(`${option} holds the invisible or bidirectional control character ${code}`)
})

it('refuses incomplete commands with usage', async () => {
  expect((await vigil('create')).code).toBe(2)
  expect((await vigil('revoke', 'abc')).code).toBe(2)
  expect((await vigil('rotate')).code).toBe(2)
})

it('registers an agent vantage with its role, region (any of its names), ASN and network type', async () => {
  const created = await vigil(
    'create',
    '--vantage',
    'kz-shymkent-1',
    '--role',
    'in_country',
    '--region',
    'Шымкент',
    '--asn',
    'AS4200000000',
    '--network-type',
    'mobile',
  )
  expect(created.code).toBe(0)
  expect(created.stderr).toContain(
    'registered vantage kz-shymkent-1 (in_country, Shymkent, AS4200000000, mobile)',
  )
  const outside = await vigil('create', '--vantage', 'nl-outside-1', '--role', 'outside', '--country', 'NL')
  expect(outside.code).toBe(0)
  const rows = await withStore(
    (sql) => sql<
      { id: string; role: string; region: string | null; asn: number | null; network_type: string }[]
    >`
      select id, role, region, asn, network_type from vantages where id in ('kz-shymkent-1', 'nl-outside-1')
      order by id`,
  )
  expect(rows).toEqual([
    {
      id: 'kz-shymkent-1',
      role: 'in_country',
      region: 'Shymkent',
      asn: 4_200_000_000,
      network_type: 'mobile',
    },
    { id: 'nl-outside-1', role: 'outside', region: null, asn: null, network_type: 'unknown' },
  ])
  // A second token for a registered vantage needs no facts again and changes none.
  expect((await vigil('create', '--vantage', 'kz-shymkent-1')).code).toBe(0)
  const again = await withStore(
    (sql) => sql<{ region: string }[]>`select region from vantages where id = 'kz-shymkent-1'`,
  )
  expect(again).toEqual([{ region: 'Shymkent' }])
})

it.each([
  [['--vantage', 'kz-x-1'], '--vantage: kz-x-1 is not registered'],
  [
    ['--vantage', 'kz-x-1', '--role', 'in_country', '--asn', '9198'],
    '--region: an in_country vantage needs its region',
  ],
  [
    ['--vantage', 'kz-x-1', '--role', 'in_country', '--region', 'Atlantis', '--asn', '9198'],
    '--region: "Atlantis" is not a region',
  ],
  [
    ['--vantage', 'kz-x-1', '--role', 'in_country', '--region', 'Almaty'],
    '--asn: an in_country vantage needs',
  ],
  [
    ['--vantage', 'kz-x-1', '--role', 'in_country', '--region', 'Almaty', '--asn', '4294967296'],
    '--asn: "4294967296"',
  ],
  [['--vantage', 'kz-x-1', '--role', 'inside', '--region', 'Almaty', '--asn', '9198'], '--role: "inside"'],
  [
    [
      '--vantage',
      'kz-x-1',
      '--role',
      'in_country',
      '--region',
      'Almaty',
      '--asn',
      '9198',
      '--network-type',
      '5g',
    ],
    '--network-type: "5g"',
  ],
])('refuses a registration that does not fit the config: %j', async (args, message) => {
  const result = await vigil('create', ...args)
  expect(result.code).toBe(2)
  expect(result.stderr).toContain(message)
  const rows = await withStore((sql) => sql`select id from vantages where id = 'kz-x-1'`)
  expect(rows).toHaveLength(0)
})
