// Requests as an operator makes them: every injected request presents an API key of the given scope.
import { bearer } from '@vigil/api'
import { createApiKey, type Sql } from '@vigil/store'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'

export type Inject = (options: string | InjectOptions) => Promise<LightMyRequestResponse>

/** Creates an API key of `scope` and returns `app.inject` with that key on every request. */
export async function injectWithKey(
  app: FastifyInstance,
  sql: Sql,
  scope: 'read' | 'operate' | 'admin' = 'admin',
): Promise<Inject> {
  const { key } = await createApiKey(sql, { name: `test ${scope}`, scope })
  return (options) => {
    const request = typeof options === 'string' ? { url: options } : options
    return app.inject({ ...request, headers: { ...bearer(key), ...request.headers } })
  }
}
