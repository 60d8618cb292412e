// Administration (admin scope): agent tokens and API keys, created (the secret is in the answer once),
// listed and revoked; imports of OONI and IODA files. The `vigil` command uses these routes when it finds a
// running Vigil on its data directory.
import { registeredVantage, VantageRegistrationError, type VigilConfig } from '@vigil/config'
import { nameText, type Vantage, visibleName } from '@vigil/model'
import { importIodaFiles, importOoniFiles, ObservatoryImportError } from '@vigil/observatories'
import {
  API_KEY_SCOPES,
  createAgentToken,
  createApiKey,
  getVantage,
  listAgentTokens,
  listApiKeys,
  revokeAgentToken,
  revokeApiKey,
  type Store,
  type TransactionSql,
  upsertVantage,
} from '@vigil/store'
import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { idParams, zodRoutes } from '../zod.js'

/** Largest import request: the files of one `vigil import`, as JSON. */
export const MAX_IMPORT_BYTES = 256 * 1_048_576

const registrationField = () => visibleName(200)

const agentTokenBody = z.strictObject({
  // An agent keys its records `<vantage>:<unique>`: the id holds no colon, nor spaces.
  vantage: visibleName(200).regex(/^[^\s:]+$/, { error: 'must hold no colon and no white space' }),
  // Checked against the config's regions by registeredVantage, which names the field at fault.
  registration: z
    .strictObject({
      role: registrationField().optional(),
      region: registrationField().optional(),
      asn: registrationField().optional(),
      networkType: registrationField().optional(),
      network: registrationField().optional(),
      country: registrationField().optional(),
    })
    .optional(),
})

const apiKeyBody = z.strictObject({
  name: visibleName(200).describe('who holds it, or what for'),
  scope: z.enum(API_KEY_SCOPES),
})

const importBody = z.strictObject({
  files: z
    .array(z.strictObject({ name: nameText(4096), text: z.string() }))
    .min(1)
    .max(1_000),
  strict: z.boolean().optional(),
})

/** What `POST /v1/agent-tokens` (and `vigil agent-token create`) says of the vantage a token writes for. */
export interface TokenVantageResult {
  /** `registered` (new), `updated` (facts replaced) or `token for` (registered before, unchanged). */
  action: 'registered' | 'updated' | 'token for'
  vantage: Vantage
}

/**
 * The registry entry a new agent token writes for, inside the token's transaction: the facts given
 * (replacing what was registered), else the vantage as already registered. A new vantage with no facts is
 * refused (a string saying so), since its silence and its measurements would count for no region; so is the
 * config's own vantage, which only this process' prober writes for.
 */
export async function registerTokenVantage(
  tx: TransactionSql,
  config: VigilConfig | undefined,
  id: string,
  given: Vantage | undefined,
): Promise<TokenVantageResult | string> {
  // This process' own prober writes as the config's vantage; a token for it would let an agent write rows
  // indistinguishable from the prober's own.
  if (config && config.vantage.id === id) {
    return `${id} is this Vigil's own vantage (vantage.id in its config), measured by its prober; an agent needs an id of its own`
  }
  const existing = await getVantage(tx, id)
  if (given) {
    await upsertVantage(tx, given)
    return { action: existing ? 'updated' : 'registered', vantage: given }
  }
  if (existing) return { action: 'token for', vantage: existing }
  return `${id} is not registered: give --role (and for in_country --region and --asn)`
}

export const adminRoutes: FastifyPluginAsync<{ store: Store; config?: VigilConfig | undefined }> = async (
  fastify,
  { store, config },
) => {
  const app = zodRoutes(fastify)
  app.post(
    '/v1/agent-tokens',
    {
      schema: {
        summary:
          'Create an agent token for a vantage (the token is in this answer only), registering the vantage with the facts given',
        body: agentTokenBody,
      },
    },
    async (request, reply) => {
      const vantageId = request.body.vantage
      let given: Vantage | undefined
      if (request.body.registration) {
        if (!config) {
          return reply
            .code(400)
            .send({ error: 'bad_request', message: 'body/registration: this api runs without a config' })
        }
        try {
          given = registeredVantage(config, { id: vantageId, ...request.body.registration })
        } catch (error) {
          if (!(error instanceof VantageRegistrationError)) throw error
          return reply
            .code(400)
            .send({ error: 'bad_request', message: `body/registration/${error.message}`, field: error.field })
        }
      }
      const created = await store.sql.begin(async (tx) => {
        const registered = await registerTokenVantage(tx, config, vantageId, given)
        if (typeof registered === 'string') return registered
        return { ...registered, token: await createAgentToken(tx, vantageId) }
      })
      if (typeof created === 'string') {
        return reply.code(400).send({ error: 'bad_request', message: `body/vantage: ${created}` })
      }
      return reply.code(201).send({
        id: created.token.id,
        vantage: vantageId,
        action: created.action,
        registered: created.vantage,
        createdAt: created.token.createdAt.toISOString(),
        token: created.token.token,
      })
    },
  )

  app.get('/v1/agent-tokens', { schema: { summary: 'Agent tokens (never the secrets)' } }, async () => ({
    tokens: (await listAgentTokens(store.sql)).map((token) => ({
      id: token.id,
      vantage: token.vantageId,
      createdAt: token.createdAt.toISOString(),
      lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
      revokedAt: token.revokedAt?.toISOString() ?? null,
    })),
  }))

  app.delete(
    '/v1/agent-tokens/:id',
    { schema: { summary: 'Revoke an agent token', params: idParams } },
    async (request, reply) => {
      if (!(await revokeAgentToken(store.sql, request.params.id))) {
        return reply
          .code(404)
          .send({ error: 'not_found', message: `no active agent token with id ${request.params.id}` })
      }
      return reply.code(204).send()
    },
  )

  app.post(
    '/v1/api-keys',
    {
      schema: {
        summary: 'Create an operator API key (the key is in this answer only)',
        body: apiKeyBody,
      },
    },
    async (request, reply) => {
      const created = await createApiKey(store.sql, request.body)
      return reply.code(201).send({
        id: created.id,
        name: created.name,
        scope: created.scope,
        createdAt: created.createdAt.toISOString(),
        key: created.key,
      })
    },
  )

  app.get('/v1/api-keys', { schema: { summary: 'API keys (never the secrets)' } }, async () => ({
    keys: (await listApiKeys(store.sql)).map((key) => ({
      id: key.id,
      name: key.name,
      scope: key.scope,
      createdAt: key.createdAt.toISOString(),
      lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
      revokedAt: key.revokedAt?.toISOString() ?? null,
    })),
  }))

  app.delete(
    '/v1/api-keys/:id',
    { schema: { summary: 'Revoke an API key', params: idParams } },
    async (request, reply) => {
      if (!(await revokeApiKey(store.sql, request.params.id))) {
        return reply
          .code(404)
          .send({ error: 'not_found', message: `no active API key with id ${request.params.id}` })
      }
      return reply.code(204).send()
    },
  )

  app.post(
    '/v1/import/ooni',
    {
      bodyLimit: MAX_IMPORT_BYTES,
      schema: {
        summary:
          'Import OONI measurements (JSON or JSON lines); malformed records are left out and listed, or with strict nothing is stored',
        body: importBody,
      },
    },
    async (request, reply) => {
      try {
        return await importOoniFiles(store.sql, request.body.files, { strict: request.body.strict ?? false })
      } catch (error) {
        if (error instanceof ObservatoryImportError) {
          return reply.code(422).send({ error: 'unprocessable', message: error.message })
        }
        throw error
      }
    },
  )

  app.post(
    '/v1/import/ioda',
    {
      bodyLimit: MAX_IMPORT_BYTES,
      schema: {
        summary:
          'Import IODA signals and outage alerts or events; malformed records are left out and listed, or with strict nothing is stored',
        body: importBody,
      },
    },
    async (request, reply) => {
      try {
        return await importIodaFiles(store.sql, request.body.files, { strict: request.body.strict ?? false })
      } catch (error) {
        if (error instanceof ObservatoryImportError) {
          return reply.code(422).send({ error: 'unprocessable', message: error.message })
        }
        throw error
      }
    },
  )
}
