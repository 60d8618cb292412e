// The operator board at `/`: the page with its state rendered in, its data as JSON, live updates as
// server-sent events, the built script and stylesheet, and the login form that exchanges an API key for
// an HttpOnly session cookie (so the key is typed once and never kept by the page's script).
import fastifyStatic from '@fastify/static'
import {
  ASSETS_PREFIX,
  type BoardEvent,
  buildBoardAssets,
  cachedRegionCharts,
  createBoardHub,
  loadBoardSnapshot,
  renderBoardPage,
  renderLoginPage,
  renderNoticePage,
} from '@vigil/board'
import type { VigilConfig } from '@vigil/config'
import {
  authenticateApiKey,
  authenticateOperatorSession,
  createOperatorSession,
  deleteOperatorSession,
  type Store,
  scopeIncludes,
} from '@vigil/store'
import { serialize as serializeCookie } from 'cookie'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { type AuthFailures, SESSION_COOKIE, sameOriginForm, sessionToken } from '../access.js'
import { acknowledgeFor, unacknowledgeFor } from './incidents.js'

/** How often an open event stream checks that its session still holds. */
const SESSION_RECHECK_MS = 10_000

export interface BoardRouteOptions {
  store: Store
  config: VigilConfig
  silenceAfterMs: number
  failures: AuthFailures
  /** How often open boards' store is read (default 1 s) and a heartbeat sent when nothing changed (5 s). */
  pollMs?: number
  heartbeatMs?: number
  /** How long the hourly charts are reused before they are read again (default 30 s). */
  chartMaxAgeMs?: number
}

/** Pages for people: no caching, no framing, scripts and styles only from the api itself. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  // Not no-referrer: with it a browser sends `Origin: null` on the page's own form posts.
  'referrer-policy': 'same-origin',
} as const

/** Parses an HTML form body (application/x-www-form-urlencoded) into a flat record, first value wins. */
export function parseFormBody(body: string): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const [key, value] of new URLSearchParams(body)) if (!(key in fields)) fields[key] = value
  return fields
}

export { sameOriginForm }

function secureCookie(request: FastifyRequest, config: VigilConfig): boolean {
  return request.protocol === 'https' || (config.api.publicUrl?.startsWith('https:') ?? false)
}

export const boardRoutes: FastifyPluginAsync<BoardRouteOptions> = async (app, options) => {
  const { store, config } = options
  // Incidents, reports and vantages are read on every poll; the 24-hour charts at most every 30 s.
  const charts = cachedRegionCharts(store.sql, config, options.chartMaxAgeMs ?? 30_000)
  const load = () =>
    loadBoardSnapshot(store.sql, config, { now: new Date(), silenceAfterMs: options.silenceAfterMs, charts })
  const hub = createBoardHub({
    load,
    pollMs: options.pollMs,
    heartbeatMs: options.heartbeatMs,
    onError: (error) =>
      app.log.warn({ err: error }, 'board: reading the store failed; open boards turn stale'),
  })
  const streams = new Set<FastifyReply>()
  app.addHook('preClose', async () => {
    for (const reply of streams) reply.raw.end()
    streams.clear()
    await hub.stop()
  })

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 4096 },
    (_request, body, done) => done(null, parseFormBody(body as string)),
  )

  await app.register(fastifyStatic, {
    root: await buildBoardAssets(),
    prefix: ASSETS_PREFIX,
    decorateReply: false,
    index: false,
    cacheControl: true,
    maxAge: 60_000,
  })

  app.get('/', { config: { browser: true }, schema: { hide: true } }, async (request, reply) => {
    const scope = request.principal && 'scope' in request.principal ? request.principal.scope : 'read'
    return reply
      .headers(PAGE_HEADERS)
      .send(renderBoardPage(await load(), { canOperate: scopeIncludes(scope, 'operate') }))
  })

  // The board's acknowledge and withdraw buttons. The access hook has checked the session, its scope
  // (operate) and that the form came from the board itself; the answer sends the browser back to the
  // board, where the badge shows (and every other open board gets it over its event stream).
  const boardForm = (action: 'ack' | 'unack') => async (request: FastifyRequest, reply: FastifyReply) => {
    const raw = (request.params as { id?: string }).id ?? ''
    const id = /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : Number.NaN
    const answer = !Number.isSafeInteger(id)
      ? { status: 404 as const, body: { error: 'not_found', message: `no incident with id ${raw}` } }
      : action === 'ack'
        ? await acknowledgeFor(store, request.principal, id, undefined, new Date())
        : await unacknowledgeFor(store, id)
    if (answer.status === 200 || answer.status === 204) {
      return reply.redirect(`/#incident-${id}`, 303)
    }
    return reply
      .code(answer.status)
      .headers(PAGE_HEADERS)
      .send(
        renderNoticePage(config.name, 'Not done', answer.body.message, undefined, {
          href: '/',
          label: 'Back to the board',
        }),
      )
  }
  app.post(
    '/board/incidents/:id/ack',
    { config: { sessionForm: true }, schema: { hide: true } },
    boardForm('ack'),
  )
  app.post(
    '/board/incidents/:id/unack',
    { config: { sessionForm: true }, schema: { hide: true } },
    boardForm('unack'),
  )

  app.get(
    '/v1/board',
    {
      schema: {
        summary: 'Everything the board shows: region states and charts, incidents, reports, vantages',
      },
    },
    async () => load(),
  )

  app.get(
    '/v1/board/events',
    {
      schema: {
        summary:
          'Live board updates as server-sent events: `board` (a whole snapshot, on every change) and ' +
          '`heartbeat` (every few seconds when nothing changed)',
      },
    },
    async (request, reply) => {
      reply.hijack()
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      })
      // A reconnecting browser waits this long (ms) before trying again.
      reply.raw.write('retry: 2000\n\n')
      const send = (event: BoardEvent) => {
        const data =
          event.type === 'board' ? JSON.stringify(event.snapshot) : JSON.stringify({ at: event.at })
        reply.raw.write(`event: ${event.type}\ndata: ${data}\n\n`)
      }
      streams.add(reply)
      const unsubscribe = await hub.subscribe(send)
      // A stream opened with a session ends when the session does (expiry, logout, revoked key): the
      // browser reconnects and is refused, and the page turns stale.
      const token = request.principal?.kind === 'session' ? sessionToken(request) : undefined
      const recheck =
        token === undefined
          ? undefined
          : setInterval(() => {
              authenticateOperatorSession(store.sql, token, new Date())
                .then((key) => {
                  if (!key) reply.raw.end()
                })
                .catch(() => reply.raw.end())
            }, SESSION_RECHECK_MS)
      reply.raw.on('close', () => {
        if (recheck) clearInterval(recheck)
        unsubscribe()
        streams.delete(reply)
      })
    },
  )

  app.get('/login', { schema: { hide: true } }, async (_request, reply) =>
    reply.headers(PAGE_HEADERS).send(renderLoginPage(config.name)),
  )

  app.post('/login', { schema: { hide: true } }, async (request, reply) => {
    reply.headers(PAGE_HEADERS)
    if (!sameOriginForm(request, config.api.publicUrl)) {
      return reply.code(403).send(renderLoginPage(config.name, 'The login form must be sent from this site.'))
    }
    const wait = options.failures.retryAfter(request)
    if (wait > 0) {
      return reply
        .code(429)
        .header('retry-after', String(wait))
        .send(renderLoginPage(config.name, `Too many failed attempts; try again in ${wait} s.`))
    }
    const fields = (request.body ?? {}) as Record<string, string>
    const key = typeof fields.key === 'string' ? fields.key.trim() : ''
    const found = key.length > 0 && key.length <= 200 ? await authenticateApiKey(store.sql, key) : null
    if (!found) {
      options.failures.fail(request)
      request.log.warn({ address: request.ip, reason: 'unknown_credential' }, 'board login failed')
      return reply.code(401).send(renderLoginPage(config.name, 'That API key is unknown or revoked.'))
    }
    const session = await createOperatorSession(
      store.sql,
      found.keyId,
      new Date(),
      config.api.sessionLifetime,
    )
    request.log.info({ key: found.keyId, name: found.name }, 'board session opened')
    return reply
      .header(
        'set-cookie',
        serializeCookie(SESSION_COOKIE, session.token, {
          httpOnly: true,
          sameSite: 'strict',
          secure: secureCookie(request, config),
          path: '/',
          expires: session.expiresAt,
        }),
      )
      .redirect('/', 303)
  })

  app.post('/logout', { schema: { hide: true } }, async (request, reply) => {
    const token = sessionToken(request)
    if (token !== undefined && sameOriginForm(request, config.api.publicUrl)) {
      await deleteOperatorSession(store.sql, token)
    }
    return reply
      .header(
        'set-cookie',
        serializeCookie(SESSION_COOKIE, '', {
          httpOnly: true,
          sameSite: 'strict',
          secure: secureCookie(request, config),
          path: '/',
          expires: new Date(0),
        }),
      )
      .redirect('/login', 303)
  })
}
