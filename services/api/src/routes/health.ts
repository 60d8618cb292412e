// Liveness, readiness and the Prometheus scrape endpoint.
import type { Registry } from '@vigil/metrics'
import type { Store } from '@vigil/store'
import type { FastifyPluginAsync } from 'fastify'

export const healthRoutes: FastifyPluginAsync<{ store: Store; registry: Registry }> = async (
  app,
  { store, registry },
) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }))

  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    if (await store.ping()) return { status: 'ready', store: store.kind }
    return reply
      .code(503)
      .send({ status: 'unavailable', store: store.kind, message: 'the database does not answer' })
  })

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', registry.contentType)
    return registry.metrics()
  })
}
