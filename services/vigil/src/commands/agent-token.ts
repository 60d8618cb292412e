// `vigil agent-token create --vantage ID | list | revoke ID`: the tokens agents upload with. A new token is
// printed once and only its hash is stored.
import type { VigilConfig } from '@vigil/config'
import { createAgentToken, ensureVantage, listAgentTokens, migrate, revokeAgentToken } from '@vigil/store'
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
    },
    true,
  )
  const [action, ...rest] = positionals
  if (action !== 'create' && action !== 'list' && action !== 'revoke') {
    io.stderr('Usage: vigil agent-token create --vantage ID | list | revoke ID\n')
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
  const store = await openChosenStore(chooseStore(config, values['data-dir'], env))
  try {
    await migrate(store.sql)
    if (action === 'create') {
      const vantageId = values.vantage!
      const created = await store.sql.begin(async (tx) => {
        const inserted = await ensureVantage(tx, vantageRecord(config, vantageId))
        return { inserted, token: await createAgentToken(tx, vantageId) }
      })
      if (created.inserted) io.stderr(`added vantage ${vantageId}\n`)
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

/** The config's own vantage when it names that id; otherwise an in-country vantage of the config's country. */
function vantageRecord(config: VigilConfig, id: string) {
  const { vantage } = config
  if (vantage.id === id) {
    return {
      id,
      country: vantage.country,
      region: vantage.region ?? null,
      asn: vantage.network.asn,
      network: vantage.network.name ?? null,
      role: vantage.role,
    }
  }
  return { id, country: config.country, region: null, asn: null, network: null, role: 'in_country' as const }
}
