// Silences: `POST /v1/silences` holds back notifications about matching incidents for a time range
// (maintenance, a known outage), `GET /v1/silences` lists those not yet ended, `DELETE /v1/silences/:id`
// lifts one. The notifier reads them with the config's own silences.
import { apiErrorSchema, INCIDENT_KINDS, instantString } from '@vigil/model'
import { createSilence, deleteSilence, listSilences, type Store, type StoredSilence } from '@vigil/store'
import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { idParams, scopeName, zodRoutes } from '../zod.js'

const names = () => z.array(scopeName()).min(1).max(100)

const silenceBody = z.strictObject({
  matchers: z
    .strictObject({
      kinds: z.array(z.enum(INCIDENT_KINDS)).min(1).max(100).optional(),
      regions: names().optional(),
      vantages: names().optional(),
    })
    .describe('every matcher given must match; an empty object silences everything'),
  startsAt: instantString().optional().describe('RFC 3339; now when absent'),
  endsAt: instantString().describe('RFC 3339'),
  comment: z.string().min(1).max(2000),
  createdBy: scopeName().optional(),
})

const silenceSchema = z.object({
  id: z.number().int(),
  matchers: z.object({
    kinds: z.array(z.string()).nullable(),
    regions: z.array(z.string()).nullable(),
    vantages: z.array(z.string()).nullable(),
  }),
  startsAt: z.string(),
  endsAt: z.string(),
  comment: z.string(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
})

export const silenceRoutes: FastifyPluginAsync<{ store: Store; now?: () => Date }> = async (
  fastify,
  options,
) => {
  const { store } = options
  const app = zodRoutes(fastify)
  const now = options.now ?? (() => new Date())

  app.post(
    '/v1/silences',
    {
      schema: {
        summary: 'Silence notifications about matching incidents for a time range',
        body: silenceBody,
        response: { 201: silenceSchema, 400: apiErrorSchema },
      },
    },
    async (request, reply) => {
      const body = request.body
      const startsAt = body.startsAt === undefined ? now() : new Date(body.startsAt)
      const endsAt = new Date(body.endsAt)
      if (endsAt.getTime() <= startsAt.getTime()) {
        return reply
          .code(400)
          .send({ error: 'bad_request', message: 'body/endsAt must be after body/startsAt' })
      }
      const silence = await createSilence(store.sql, {
        kinds: body.matchers.kinds ?? null,
        regions: body.matchers.regions ?? null,
        vantages: body.matchers.vantages ?? null,
        startsAt,
        endsAt,
        comment: body.comment,
        createdBy: body.createdBy ?? null,
      })
      return reply.code(201).send(toJson(silence))
    },
  )

  app.get(
    '/v1/silences',
    {
      schema: {
        summary: 'Silences that have not ended yet',
        response: {
          200: z.object({ silences: z.array(silenceSchema) }),
        },
      },
    },
    async () => ({ silences: (await listSilences(store.sql, { notEndedAt: now() })).map(toJson) }),
  )

  app.delete(
    '/v1/silences/:id',
    {
      schema: {
        summary: 'Lift a silence',
        params: idParams,
      },
    },
    async (request, reply) => {
      if (!(await deleteSilence(store.sql, request.params.id))) {
        return reply
          .code(404)
          .send({ error: 'not_found', message: `no silence with id ${request.params.id}` })
      }
      return reply.code(204).send()
    },
  )
}

function toJson(silence: StoredSilence) {
  return {
    id: silence.id,
    matchers: { kinds: silence.kinds, regions: silence.regions, vantages: silence.vantages },
    startsAt: silence.startsAt.toISOString(),
    endsAt: silence.endsAt.toISOString(),
    comment: silence.comment,
    createdBy: silence.createdBy,
    createdAt: silence.createdAt.toISOString(),
  }
}
