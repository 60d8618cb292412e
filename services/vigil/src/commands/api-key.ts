// `vigil api-key create --scope read|operate|admin --name TEXT | list | revoke ID`: the keys operators use
// with the api. A new key is printed once and only its hash is stored. This is how the first admin key is
// made: on the machine that holds the database, directly or through a running Vigil's control socket.
import { invisibleCharacter } from '@vigil/model'
import {
  API_KEY_SCOPES,
  type ApiKeyScope,
  createApiKey,
  isApiKeyScope,
  listApiKeys,
  migrate,
  revokeApiKey,
} from '@vigil/store'
import type { CommandContext } from '../cli.js'
import { parseOptions } from '../cli.js'
import { chooseStore, loadConfigOption, openChosenStore } from './common.js'
import { findRunningVigil, unexpectedAnswer } from './running.js'

const USAGE = 'vigil api-key create --scope read|operate|admin --name TEXT | list | revoke ID'

interface KeyRow {
  id: number
  name: string
  scope: ApiKeyScope
  createdAt: string
  lastUsedAt: string | null
  revokedAt: string | null
}

export async function apiKeyCommand({ args, env, io }: CommandContext): Promise<number> {
  const { values, positionals } = parseOptions(
    args,
    {
      config: { type: 'string', short: 'c' },
      'data-dir': { type: 'string' },
      scope: { type: 'string' },
      name: { type: 'string' },
    },
    true,
  )
  const [action, ...rest] = positionals
  if (action !== 'create' && action !== 'list' && action !== 'revoke') {
    io.stderr(`Usage: ${USAGE}\n`)
    return 2
  }
  const scope = values.scope
  if (action === 'create' && !isApiKeyScope(scope)) {
    io.stderr(`vigil api-key create: --scope must be one of ${API_KEY_SCOPES.join(', ')}\n`)
    return 2
  }
  const name = values.name?.trim() ?? ''
  if (action === 'create' && (name === '' || name.length > 200)) {
    io.stderr(
      'vigil api-key create: --name must say who holds the key or what it is for (1 to 200 characters)\n',
    )
    return 2
  }
  const hidden = action === 'create' ? invisibleCharacter(name) : null
  if (hidden) {
    io.stderr(
      `vigil api-key create: --name holds the invisible or bidirectional control character ${hidden}\n`,
    )
    return 2
  }
  const id = action === 'revoke' ? Number(rest[0]) : 0
  if (action === 'revoke' && !(Number.isSafeInteger(id) && id > 0)) {
    io.stderr(`vigil api-key revoke: give the key's id (from list), got "${rest[0] ?? ''}"\n`)
    return 2
  }
  const { config } = await loadConfigOption(values.config, env)
  const choice = chooseStore(config, values['data-dir'], env)

  const printCreated = (key: { id: number; key: string }) => {
    io.stderr(`key ${key.id} "${name}" with scope ${scope}; it is shown only now, keep it secret:\n`)
    io.stdout(`${key.key}\n`)
  }
  const printList = (keys: KeyRow[]) => {
    io.stdout('id\tname\tscope\tcreated\tlast used\tstatus\n')
    for (const key of keys) {
      io.stdout(
        `${key.id}\t${key.name}\t${key.scope}\t${key.createdAt}\t${key.lastUsedAt ?? '-'}\t${key.revokedAt ? `revoked ${key.revokedAt}` : 'active'}\n`,
      )
    }
  }
  const revoked = (done: boolean) => {
    if (!done) {
      io.stderr(`vigil api-key revoke: no active key with id ${id}\n`)
      return 1
    }
    io.stdout(`revoked key ${id}\n`)
    return 0
  }

  const running = findRunningVigil(choice)
  if (running) {
    if (action === 'create') {
      const answer = await running.json('POST', '/v1/api-keys', { name, scope })
      if (answer.status !== 201) {
        throw unexpectedAnswer(running, answer, { 'body/name': '--name', 'body/scope': '--scope' })
      }
      printCreated(answer.body as { id: number; key: string })
      return 0
    }
    if (action === 'list') {
      const answer = await running.json('GET', '/v1/api-keys')
      if (answer.status !== 200) throw unexpectedAnswer(running, answer)
      printList(answer.body.keys as KeyRow[])
      return 0
    }
    const answer = await running.json('DELETE', `/v1/api-keys/${id}`)
    if (answer.status !== 204 && answer.status !== 404) throw unexpectedAnswer(running, answer)
    return revoked(answer.status === 204)
  }

  const store = await openChosenStore(choice)
  try {
    await migrate(store.sql)
    if (action === 'create') {
      printCreated(await createApiKey(store.sql, { name, scope: scope as ApiKeyScope }))
      return 0
    }
    if (action === 'list') {
      printList(
        (await listApiKeys(store.sql)).map((key) => ({
          id: key.id,
          name: key.name,
          scope: key.scope,
          createdAt: key.createdAt.toISOString(),
          lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
          revokedAt: key.revokedAt?.toISOString() ?? null,
        })),
      )
      return 0
    }
    return revoked(await revokeApiKey(store.sql, id))
  } finally {
    await store.close()
  }
}
