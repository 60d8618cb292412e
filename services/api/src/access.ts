// Who may call what: every route's access in one table, enforced by one hook before anything else runs.
// Operators present API keys (scopes read < operate < admin), agents their tokens (ingest and heartbeat
// only), the local control socket is the data directory owner (admin). Failed authentication is limited per
// client address and logged without the secret that was presented.
import type { Socket } from 'node:net'
import {
  type ApiKeyScope,
  authenticateAgentToken,
  authenticateApiKey,
  authenticateOperatorSession,
  type Store,
  scopeIncludes,
} from '@vigil/store'
import { parse as parseCookie } from 'cookie'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import ipaddr from 'ipaddr.js'
import { FailureLimiter } from './rate-limit.js'

/** `public`: no credential; `agent`: an agent token; a scope: an API key holding it (or a higher one). */
export type Access = 'public' | 'agent' | ApiKeyScope

/**
 * The access of every route, by `METHOD url` as the route is registered (HEAD follows GET). A route missing
 * here cannot be registered: the api refuses to start rather than serve it open.
 */
export const ROUTE_ACCESS: Readonly<Record<string, Access>> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  // Vantage labels in the metrics tell where volunteers' machines are; a scraper without a key uses the
  // separate metrics listener (api.metricsListen), which serves nothing else.
  'GET /metrics': 'read',
  'GET /v1/measurements': 'read',
  'GET /v1/incidents': 'read',
  'POST /v1/incidents/:id/ack': 'operate',
  'DELETE /v1/incidents/:id/ack': 'operate',
  'GET /v1/reports': 'read',
  'GET /v1/sources': 'read',
  'GET /v1/vantages': 'read',
  'GET /v1/reports/rally': 'read',
  'GET /v1/export/measurements': 'read',
  'GET /v1/export/incidents': 'read',
  'GET /v1/silences': 'read',
  'POST /v1/silences': 'operate',
  'DELETE /v1/silences/:id': 'operate',
  'POST /v1/ingest': 'agent',
  'POST /v1/heartbeat': 'agent',
  'GET /v1/agent-tokens': 'admin',
  'POST /v1/agent-tokens': 'admin',
  'DELETE /v1/agent-tokens/:id': 'admin',
  'GET /v1/api-keys': 'admin',
  'POST /v1/api-keys': 'admin',
  'DELETE /v1/api-keys/:id': 'admin',
  'POST /v1/import/ooni': 'admin',
  'POST /v1/import/ioda': 'admin',
  // The operator board: the page, its data and its live updates. A browser reaches them with the session
  // cookie that the login form sets (see SESSION_COOKIE).
  'GET /': 'read',
  'GET /v1/board': 'read',
  'GET /v1/board/events': 'read',
  'GET /login': 'public',
  'POST /login': 'public',
  'POST /logout': 'public',
  // The board's acknowledge and withdraw buttons: HTML forms sent with the session cookie (see SESSION_COOKIE).
  'POST /board/incidents/:id/ack': 'operate',
  'POST /board/incidents/:id/unack': 'operate',
  // The board's script and stylesheet: the same for every installation, no data in them.
  'GET /board/assets/*': 'public',
  // The public status page; registered only when status.enabled is set.
  'GET /status': 'public',
  'GET /status/feeds/:scopeType/:file': 'public',
  'POST /status/subscribe': 'public',
  'GET /status/confirm': 'public',
  'POST /status/confirm': 'public',
  'GET /status/unsubscribe': 'public',
  'POST /status/unsubscribe': 'public',
}

/**
 * The board's session cookie (HttpOnly, SameSite=Strict, Secure over https). It is accepted on GET and
 * HEAD routes of scope `read`, and for a change only on the board's own form routes (config `sessionForm`:
 * acknowledging an incident), and there only from the api's own pages (sameOriginForm) and with the scope
 * the route needs. A request forged from another site carries no cookie (SameSite=Strict) and fails the
 * origin check besides. Every other change needs the Authorization header.
 */
export const SESSION_COOKIE = 'vigil_session'

// The API description (Swagger UI and the OpenAPI document) holds no data and is the same for every
// installation; it stays open so a browser can load it and try calls with a key.
const PUBLIC_PREFIXES = ['/docs']

/** The access declared for a route, or undefined when it declares none. */
export function routeAccess(method: string, url: string): Access | undefined {
  const declared = ROUTE_ACCESS[`${method === 'HEAD' ? 'GET' : method} ${url}`]
  if (declared !== undefined) return declared
  return PUBLIC_PREFIXES.some((prefix) => url === prefix || url.startsWith(`${prefix}/`))
    ? 'public'
    : undefined
}

export type Principal =
  | { kind: 'key'; keyId: number; name: string; scope: ApiKeyScope }
  | { kind: 'local'; scope: 'admin' }
  | { kind: 'session'; keyId: number; name: string; scope: ApiKeyScope }
  | { kind: 'agent'; tokenId: number; vantageId: string }

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access
    /** A page for people: without a credential it sends the browser to the login form instead of a 401. */
    browser?: boolean
    /** A board form that changes something: the session cookie is accepted from the api's own pages. */
    sessionForm?: boolean
  }
  interface FastifyRequest {
    principal: Principal | null
    /** Set on agent routes: the token and the vantage it writes for. */
    agent: { tokenId: number; vantageId: string } | null
  }
}

/** Connections accepted by the local control socket (see local-control.ts); only those are local admins. */
export const localControlSockets = new WeakSet<Socket>()

export interface AccessOptions {
  store: Store
  /** Failed authentications an address may make per minute before it gets 429. */
  failuresPerMinute: number
  /** The api's public address (api.publicUrl), also accepted as the origin of the board's forms. */
  publicUrl?: string | undefined
  now?: () => Date
}

// Reasons logged for a failed authentication: a fixed set, never the credential itself.
type FailureReason = 'missing_credential' | 'malformed_authorization' | 'unknown_credential'

/** The failed-authentication budget of client addresses, shared with the login form. */
export interface AuthFailures {
  /** Seconds until the request's address may try again; 0 when it may now. */
  retryAfter(request: FastifyRequest): number
  fail(request: FastifyRequest): void
}

/**
 * Installs the access table and the authentication hook on the root instance; call it before any route is
 * registered. The OpenAPI document gets the security schemes, and each route its requirement.
 */
export function enforceAccess(app: FastifyInstance, options: AccessOptions): AuthFailures {
  const now = options.now ?? (() => new Date())
  const failures = new FailureLimiter(options.failuresPerMinute)

  app.decorateRequest('principal', null)
  app.decorateRequest('agent', null)

  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    const accesses = new Set(methods.map((method) => routeAccess(method, route.url)))
    const [access] = accesses
    if (access === undefined || accesses.size !== 1) {
      throw new Error(`route ${methods.join(',')} ${route.url} declares no access in ROUTE_ACCESS`)
    }
    route.config = { ...route.config, access }
    route.schema = { ...route.schema, ...openApiSecurity(access, route.schema?.description) }
  })

  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config?.access
    // No route matched: the not-found handler answers, and it reveals nothing.
    if (access === undefined || access === 'public') return
    if (localControlSockets.has(request.raw.socket)) {
      if (access === 'agent') {
        return forbidden(reply, 'agents upload over the api with their token, not over the control socket')
      }
      request.principal = { kind: 'local', scope: 'admin' }
      return
    }

    const address = clientAddress(request.ip)
    // Only failures are limited: a valid credential is served whatever else came from its address, so
    // nobody who shares an address with an agent or an operator (a proxy, a carrier NAT) can lock them out
    // by sending bad credentials. What an address over its budget learns is only whether a 256-bit secret
    // it already holds is valid.
    const fail = (reason: FailureReason, message: string) => {
      const wait = failures.retryAfter(address, now().getTime())
      if (wait > 0) {
        request.log.warn(
          { address, method: request.method, route: request.routeOptions.url },
          'authentication refused: too many failures from this address',
        )
        return reply
          .code(429)
          .header('retry-after', String(wait))
          .send({ error: 'rate_limited', message: `too many failed authentications; retry in ${wait} s` })
      }
      failures.fail(address, now().getTime())
      // The address, the route and a reason from a fixed set; the presented secret is never logged.
      request.log.warn(
        { address, method: request.method, route: request.routeOptions.url, reason },
        'authentication failed',
      )
      if (request.routeOptions.config?.browser) return reply.redirect('/login', 303)
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message })
    }

    const header = request.headers.authorization
    const session = sessionToken(request)
    if (header === undefined && session !== undefined && access !== 'agent') {
      const form = request.routeOptions.config?.sessionForm === true
      if (request.method !== 'GET' && request.method !== 'HEAD' && !form) {
        return forbidden(reply, 'the session cookie only reads; send changes with an Authorization header')
      }
      if (form && !sameOriginForm(request, options.publicUrl)) {
        return forbidden(reply, 'this form must be sent from the board itself')
      }
      if (access !== 'read' && !form) {
        return forbidden(reply, `the session cookie reaches only read routes; this one needs ${access}`)
      }
      const key = await authenticateOperatorSession(options.store.sql, session, now())
      if (!key) return fail('unknown_credential', 'the session has expired or its API key was revoked')
      if (!scopeIncludes(key.scope, access)) {
        return forbidden(
          reply,
          `this session's API key has scope ${key.scope}; ${request.method} needs ${access}`,
        )
      }
      request.principal = { kind: 'session', ...key }
      return
    }
    if (header === undefined && request.routeOptions.config?.browser) {
      return reply.redirect('/login', 303)
    }
    if (header === undefined) {
      return fail(
        'missing_credential',
        access === 'agent'
          ? 'an Authorization: Bearer <agent token> header is required'
          : `an Authorization: Bearer <API key> header is required (scope ${access} or higher)`,
      )
    }
    const secret = bearerCredential(header)
    if (secret === undefined) {
      return fail('malformed_authorization', 'the Authorization header must be "Bearer <credential>"')
    }

    if (access === 'agent') {
      const agent = await authenticateAgentToken(options.store.sql, secret, now())
      if (agent) {
        request.agent = agent
        request.principal = { kind: 'agent', ...agent }
        return
      }
      if (await authenticateApiKey(options.store.sql, secret, now())) {
        return forbidden(reply, 'API keys do not upload measurements; an agent uses its agent token')
      }
      return fail('unknown_credential', 'the agent token is unknown or revoked')
    }

    const key = await authenticateApiKey(options.store.sql, secret, now())
    if (key) {
      if (!scopeIncludes(key.scope, access)) {
        return forbidden(reply, `this API key has scope ${key.scope}; ${request.method} needs ${access}`)
      }
      request.principal = { kind: 'key', ...key }
      return
    }
    if (await authenticateAgentToken(options.store.sql, secret, now())) {
      return forbidden(reply, 'agent tokens reach only /v1/ingest and /v1/heartbeat')
    }
    return fail('unknown_credential', 'the API key is unknown or revoked')
  })

  return {
    retryAfter: (request) => failures.retryAfter(clientAddress(request.ip), now().getTime()),
    fail: (request) => failures.fail(clientAddress(request.ip), now().getTime()),
  }
}

/**
 * A form post is accepted only from the api's own pages: Sec-Fetch-Site (sent by current browsers) must
 * not be cross-site, and an Origin header, when present, must be the api's own.
 */
export function sameOriginForm(request: FastifyRequest, publicUrl: string | undefined): boolean {
  const site = request.headers['sec-fetch-site']
  if (site === 'cross-site' || site === 'same-site') return false
  const origin = request.headers.origin
  if (origin === undefined) return true
  if (origin === 'null') return false
  try {
    const host = new URL(origin).host
    return host === request.host || (publicUrl !== undefined && host === new URL(publicUrl).host)
  } catch {
    return false
  }
}

/** The board session token of a request's cookie, if it has one of the right shape. */
export function sessionToken(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie
  if (header === undefined || header.length > 8192) return undefined
  const value = parseCookie(header)[SESSION_COOKIE]
  return value !== undefined && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined
}

/**
 * The address failed authentications are counted under: an IPv4 address as it is (also when IPv4-mapped),
 * an IPv6 address by its /64, the smallest prefix a site is normally given (RFC 6177), so one client cannot
 * step around the limit by rotating the addresses of its own network.
 */
export function clientAddress(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip
  const parsed = ipaddr.process(ip)
  if (parsed.kind() === 'ipv4') return parsed.toString()
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16))
  return `${parts.join(':')}::/64`
}

/** The credential of an `Authorization: Bearer <credential>` header (RFC 6750), or undefined. */
export function bearerCredential(header: string): string | undefined {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header)
  return match?.[1]
}

function forbidden(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(403).send({ error: 'forbidden', message })
}

/** Security schemes of the OpenAPI document. */
export const SECURITY_SCHEMES = {
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    description:
      'An operator API key (vgk_...), created with `vigil api-key create`. Scopes: read; operate (silences, ' +
      'acknowledgements); admin (agent tokens, API keys, imports). A higher scope includes the lower ones.',
  },
  agentToken: {
    type: 'http',
    scheme: 'bearer',
    description:
      'An agent token (vgl_...), created with `vigil agent-token create`; ingest and heartbeat only.',
  },
} as const

// OpenAPI 3.1 lets a security requirement of any scheme list the roles it needs: the scope goes there.
function openApiSecurity(
  access: Access,
  description: unknown,
): { security: Array<Record<string, string[]>>; description?: string } {
  if (access === 'public') return { security: [] }
  const needs =
    access === 'agent' ? 'Needs an agent token.' : `Needs an API key with scope ${access} or higher.`
  return {
    security: [access === 'agent' ? { agentToken: [] } : { apiKey: [access] }],
    description: typeof description === 'string' ? `${description}\n\n${needs}` : needs,
  }
}

/** For tests and clients: the Authorization header for a credential. */
export function bearer(credential: string): { authorization: string } {
  return { authorization: `Bearer ${credential}` }
}
