// `vigil agent-token create --vantage ID --role R [--region R --asn N --network-type T] | list | revoke ID`:
// the tokens agents upload with, and the registry entry of the vantage each writes for. A new token is
// printed once and only its hash is stored. With a running Vigil on the embedded data directory, the
// command goes through its control socket.
import { registerTokenVantage, type TokenVantageResult } from '@vigil/api'
import { registeredVantage, VantageRegistrationError } from '@vigil/config'
import { invisibleCharacter, type Vantage } from '@vigil/model'
import { createAgentToken, listAgentTokens, migrate, revokeAgentToken } from '@vigil/store'
import type { CommandContext } from '../cli.js'
import { parseOptions } from '../cli.js'
import { USAGE } from './agent-token-usage.js'
import { chooseStore, loadConfigOption, openChosenStore } from './common.js'
import { findRunningVigil, inOptionWords, unexpectedAnswer } from './running.js'

// The body of POST /v1/agent-tokens by the options it is made of, for the api's messages.
const TOKEN_OPTIONS = {
  'body/vantage': '--vantage',
  'body/registration/role': '--role',
  'body/registration/region': '--region',
  'body/registration/asn': '--asn',
  'body/registration/networkType': '--network-type',
  'body/registration/network-type': '--network-type',
  'body/registration/network': '--network',
  'body/registration/country': '--country',
}

interface TokenRow {
  id: number
  vantage: string
  createdAt: string
  lastUsedAt: string | null
  revokedAt: string | null
}

export async function agentTokenCommand({ args, env, io }: CommandContext): Promise<number> {
  const { values, positionals } = parseOptions(
    args,
    {
      config: { type: 'string', short: 'c' },
      'data-dir': { type: 'string' },
      vantage: { type: 'string' },
      role: { type: 'string' },
      region: { type: 'string' },
      asn: { type: 'string' },
      'network-type': { type: 'string' },
      network: { type: 'string' },
      country: { type: 'string' },
    },
    true,
  )
  const [action, ...rest] = positionals
  if (action !== 'create' && action !== 'list' && action !== 'revoke') {
    io.stderr(`Usage: ${USAGE}\n`)
    return 2
  }
  if (action === 'create' && !values.vantage) {
    io.stderr('vigil agent-token create: --vantage ID is required\n')
    return 2
  }
  // An agent keys its records `<vantage>:<unique>`, so the id holds no colon (nor spaces), as the api says.
  if (action === 'create' && !/^[^\s:]{1,200}$/.test(values.vantage!)) {
    io.stderr(`vigil agent-token create: --vantage must be 1 to 200 characters without spaces or colons\n`)
    return 2
  }
  // Names people read in lists and alerts: none may hold a character they cannot see.
  if (action === 'create') {
    for (const option of [
      'vantage',
      'role',
      'region',
      'asn',
      'network-type',
      'network',
      'country',
    ] as const) {
      const hidden = values[option] === undefined ? null : invisibleCharacter(values[option])
      if (hidden) {
        io.stderr(
          `vigil agent-token create: --${option} holds the invisible or bidirectional control character ${hidden}\n`,
        )
        return 2
      }
    }
  }
  const id = action === 'revoke' ? Number(rest[0]) : 0
  if (action === 'revoke' && !(Number.isSafeInteger(id) && id > 0)) {
    io.stderr(`vigil agent-token revoke: give the token's id (from list), got "${rest[0] ?? ''}"\n`)
    return 2
  }
  const { config } = await loadConfigOption(values.config, env)
  const registration = {
    role: values.role,
    region: values.region,
    asn: values.asn,
    networkType: values['network-type'],
    network: values.network,
    country: values.country,
  }
  const describes = Object.values(registration).some((value) => value !== undefined)
  // Checked before the store is opened: a mistyped region never leaves a half-registered vantage.
  let given: Vantage | undefined
  if (action === 'create' && describes) {
    try {
      given = registeredVantage(config, { id: values.vantage!, ...registration })
    } catch (error) {
      if (!(error instanceof VantageRegistrationError)) throw error
      io.stderr(`vigil agent-token create: --${error.message}\n`)
      return 2
    }
  }
  const choice = chooseStore(config, values['data-dir'], env)

  const printCreated = (
    token: { id: number; token: string },
    vantageId: string,
    result: TokenVantageResult,
  ) => {
    io.stderr(`${result.action} vantage ${describeVantage(result.vantage)}\n`)
    io.stderr(`token ${token.id} for vantage ${vantageId}; it is shown only now, keep it secret:\n`)
    io.stdout(`${token.token}\n`)
  }
  const printList = (tokens: TokenRow[]) => {
    io.stdout('id\tvantage\tcreated\tlast used\tstatus\n')
    for (const token of tokens) {
      io.stdout(
        `${token.id}\t${token.vantage}\t${token.createdAt}\t${token.lastUsedAt ?? '-'}\t${token.revokedAt ? `revoked ${token.revokedAt}` : 'active'}\n`,
      )
    }
  }
  const revoked = (done: boolean) => {
    if (!done) {
      io.stderr(`vigil agent-token revoke: no active token with id ${id}\n`)
      return 1
    }
    io.stdout(`revoked token ${id}\n`)
    return 0
  }

  const running = findRunningVigil(choice)
  if (running) {
    if (action === 'create') {
      const answer = await running.json('POST', '/v1/agent-tokens', {
        vantage: values.vantage,
        ...(describes ? { registration } : {}),
      })
      if (answer.status === 400) {
        io.stderr(`vigil agent-token create: ${inOptionWords(String(answer.body.message), TOKEN_OPTIONS)}\n`)
        return 2
      }
      if (answer.status !== 201) throw unexpectedAnswer(running, answer)
      const body = answer.body as {
        id: number
        token: string
        action: TokenVantageResult['action']
        registered: Vantage
      }
      printCreated(body, values.vantage!, { action: body.action, vantage: body.registered })
      return 0
    }
    if (action === 'list') {
      const answer = await running.json('GET', '/v1/agent-tokens')
      if (answer.status !== 200) throw unexpectedAnswer(running, answer)
      printList(answer.body.tokens as TokenRow[])
      return 0
    }
    const answer = await running.json('DELETE', `/v1/agent-tokens/${id}`)
    if (answer.status !== 204 && answer.status !== 404) throw unexpectedAnswer(running, answer)
    return revoked(answer.status === 204)
  }

  const store = await openChosenStore(choice)
  try {
    await migrate(store.sql)
    if (action === 'create') {
      const vantageId = values.vantage!
      const created = await store.sql.begin(async (tx) => {
        const registered = await registerTokenVantage(tx, config, vantageId, given)
        if (typeof registered === 'string') return registered
        return { registered, token: await createAgentToken(tx, vantageId) }
      })
      if (typeof created === 'string') {
        io.stderr(`vigil agent-token create: --vantage: ${created}\n`)
        return 2
      }
      printCreated(created.token, vantageId, created.registered)
      return 0
    }
    if (action === 'list') {
      printList(
        (await listAgentTokens(store.sql)).map((token) => ({
          id: token.id,
          vantage: token.vantageId,
          createdAt: token.createdAt.toISOString(),
          lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
          revokedAt: token.revokedAt?.toISOString() ?? null,
        })),
      )
      return 0
    }
    return revoked(await revokeAgentToken(store.sql, id))
  } finally {
    await store.close()
  }
}

function describeVantage(vantage: Vantage): string {
  const parts = [
    vantage.role,
    vantage.region ?? 'no region',
    vantage.asn === null ? 'no ASN' : `AS${vantage.asn}`,
    vantage.networkType,
  ]
  return `${vantage.id} (${parts.join(', ')})`
}
