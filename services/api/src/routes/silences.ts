// Silences: `POST /v1/silences` holds back notifications about matching incidents for a time range
// (maintenance, a known outage), `GET /v1/silences` lists those not yet ended, `DELETE /v1/silences/:id`
// lifts one. The notifier reads them with the config's own silences.
import { INCIDENT_KINDS } from '@vigil/model'
import { createSilence, deleteSilence, listSilences, type Store, type StoredSilence } from '@vigil/store'
import type { FastifyPluginAsync } from 'fastify'

interface SilenceBody {
  matchers: { kinds?: string[]; regions?: string[]; vantages?: string[] }
  startsAt?: string
  endsAt: string
  comment: string
  createdBy?: string
}

const names = {
  type: 'array',
  minItems: 1,
  maxItems: 100,
  items: { type: 'string', minLength: 1, maxLength: 200 },
}

const silenceSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    matchers: {
      type: 'object',
      properties: {
        kinds: { type: ['array', 'null'], items: { type: 'string' } },
        regions: { type: ['array', 'null'], items: { type: 'string' } },
        vantages: { type: ['array', 'null'], items: { type: 'string' } },
      },
    },
    startsAt: { type: 'string' },
    endsAt: { type: 'string' },
    comment: { type: 'string' },
    createdBy: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
  },
} as const

export const silenceRoutes: FastifyPluginAsync<{ store: Store; now?: () => Date }> = async (app, options) => {
  const { store } = options
  const now = options.now ?? (() => new Date())

  app.post<{ Body: SilenceBody }>(
    '/v1/silences',
    {
      schema: {
        summary: 'Silence notifications about matching incidents for a time range',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['matchers', 'endsAt', 'comment'],
          properties: {
            matchers: {
              type: 'object',
              additionalProperties: false,
              description: 'every matcher given must match; an empty object silences everything',
              properties: {
                kinds: { ...names, items: { type: 'string', enum: [...INCIDENT_KINDS] } },
                regions: names,
                vantages: names,
              },
            },
            startsAt: { type: 'string', format: 'date-time', description: 'RFC 3339; now when absent' },
            endsAt: { type: 'string', format: 'date-time', description: 'RFC 3339' },
            comment: { type: 'string', minLength: 1, maxLength: 2000 },
            createdBy: { type: 'string', minLength: 1, maxLength: 200 },
          },
        },
        response: { 201: silenceSchema },
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
          200: { type: 'object', properties: { silences: { type: 'array', items: silenceSchema } } },
        },
      },
    },
    async () => ({ silences: (await listSilences(store.sql, { notEndedAt: now() })).map(toJson) }),
  )

  app.delete<{ Params: { id: number } }>(
    '/v1/silences/:id',
    {
      schema: {
        summary: 'Lift a silence',
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
        },
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
