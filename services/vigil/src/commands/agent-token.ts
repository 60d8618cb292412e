// `vigil agent-token create --vantage ID --role R [--region R --asn N --network-type T] | list | revoke ID`:
// the tokens agents upload with, and the registry entry of the vantage each writes for. A new token is
// printed once and only its hash is stored.
import {
  configuredVantage,
  registeredVantage,
  VantageRegistrationError,
  type VigilConfig,
} from '@vigil/config'
import type { Vantage } from '@vigil/model'
import {
  createAgentToken,
  getVantage,
  listAgentTokens,
  migrate,
  revokeAgentToken,
  type TransactionSql,
  upsertVantage,
} from '@vigil/store'
import type { CommandContext } from '../cli.js'
import { parseOptions } from '../cli.js'
import { chooseStore, loadConfigOption, openChosenStore } from './common.js'

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
  const id = action === 'revoke' ? Number(rest[0]) : 0
  if (action === 'revoke' && !(Number.isSafeInteger(id) && id > 0)) {
    io.stderr(`vigil agent-token revoke: give the token's id (from list), got "${rest[0] ?? ''}"\n`)
    return 2
  }
  const { config } = await loadConfigOption(values.config, env)
  const registration = {
    id: values.vantage ?? '',
    role: values.role,
    region: values.region,
    asn: values.asn,
    networkType: values['network-type'],
    network: values.network,
    country: values.country,
  }
  const describes = [
    values.role,
    values.region,
    values.asn,
    values['network-type'],
    values.network,
    values.country,
  ].some((value) => value !== undefined)
  // Checked before the store is opened: a mistyped region never leaves a half-registered vantage.
  let given: Vantage | undefined
  if (action === 'create' && describes) {
    try {
      given = registeredVantage(config, registration)
    } catch (error) {
      if (!(error instanceof VantageRegistrationError)) throw error
      io.stderr(`vigil agent-token create: --${error.message}\n`)
      return 2
    }
  }
  const store = await openChosenStore(chooseStore(config, values['data-dir'], env))
  try {
    await migrate(store.sql)
    if (action === 'create') {
      const vantageId = values.vantage!
      const created = await store.sql.begin(async (tx) => {
        const registered = await register(tx, config, vantageId, given)
        if (typeof registered === 'string') return registered
        return { ...registered, token: await createAgentToken(tx, vantageId) }
      })
      if (typeof created === 'string') {
        io.stderr(`vigil agent-token create: ${created}\n`)
        return 2
      }
      io.stderr(`${created.action} vantage ${describeVantage(created.vantage)}\n`)
      io.stderr(`token ${created.token.id} for vantage ${vantageId}; it is shown only now, keep it secret:\n`)
      io.stdout(`${created.token.token}\n`)
      return 0
    }
    if (action === 'list') {
      const tokens = await listAgentTokens(store.sql)
      io.stdout('id\tvantage\tcreated\tlast used\tstatus\n')
      for (const token of tokens) {
        io.stdout(
          `${token.id}\t${token.vantageId}\t${token.createdAt.toISOString()}\t${token.lastUsedAt?.toISOString() ?? '-'}\t${token.revokedAt ? `revoked ${token.revokedAt.toISOString()}` : 'active'}\n`,
        )
      }
      return 0
    }
    if (!(await revokeAgentToken(store.sql, id))) {
      io.stderr(`vigil agent-token revoke: no active token with id ${id}\n`)
      return 1
    }
    io.stdout(`revoked token ${id}\n`)
    return 0
  } finally {
    await store.close()
  }
}

export const USAGE =
  'vigil agent-token create --vantage ID --role in_country|outside|control [--region R] [--asn N] ' +
  '[--network-type mobile|fixed|unknown] [--network NAME] [--country CC] | list | revoke ID'

/**
 * The registry entry the new token writes for: the facts given (replacing what was registered), else
 * the vantage as already registered, else the config's own vantage when the id is its; a new vantage with
 * no facts is refused, since its silence and measurements would count for no region.
 */
async function register(
  tx: TransactionSql,
  config: VigilConfig,
  id: string,
  given: Vantage | undefined,
): Promise<{ action: string; vantage: Vantage } | string> {
  const existing = await getVantage(tx, id)
  if (given) {
    await upsertVantage(tx, given)
    return { action: existing ? 'updated' : 'registered', vantage: given }
  }
  if (existing) return { action: 'token for', vantage: existing }
  if (config.vantage.id === id) {
    const own = configuredVantage(config)
    await upsertVantage(tx, own)
    return { action: 'registered', vantage: own }
  }
  return `vantage ${id} is not registered: give --role (and for in_country --region and --asn)`
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
