// The public status page (`/status`, only when status.enabled): region states and history, Atom and RSS
// feeds per country and region, and email subscriptions with double opt-in. Nothing here needs a key and
// nothing here names a vantage, a network, an address or a token (see @vigil/board public-status).
import {
  confirmationNotification,
  feedEntries,
  loadPublicStatus,
  type PublicStatus,
  renderAtom,
  renderNoticePage,
  renderRss,
  renderStatusPage,
} from '@vigil/board'
import type { VigilConfig } from '@vigil/config'
import {
  confirmSubscription,
  insertNotifications,
  requestSubscription,
  type Store,
  type SubscriberScopeType,
  unsubscribe,
} from '@vigil/store'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { clientAddress } from '../access.js'
import { PAGE_HEADERS, parseFormBody } from './board.js'

export interface StatusRouteOptions {
  store: Store
  config: VigilConfig
  now?: () => Date
}

// Public pages are read by anyone, at any rate: the status is read from the store at most this often.
const STATUS_CACHE_MS = 5_000
const HOUR = 3_600_000
// Addresses tracked by the subscription limiter; beyond this the oldest window is forgotten.
const MAX_TRACKED_ADDRESSES = 10_000
const TOKEN = /^[A-Za-z0-9_-]{43}$/
// A practical address check (one @, no spaces or angle brackets); the confirmation mail proves the rest.
const EMAIL =
  /^[^\s@<>()[\]\\,;:"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$/

/**
 * Fixed-window counters of subscription requests per client address and in total, per hour. The total
 * keeps many addresses together from turning the api into a mail cannon at one victim's inbox.
 */
export class SubscribeLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>()
  private total = { start: 0, count: 0 }

  constructor(
    private readonly perAddress: number,
    private readonly overall: number,
  ) {}

  /** Counts a request; returns the seconds to wait when over a limit, else 0. */
  take(address: string, nowMs: number): number {
    if (nowMs - this.total.start >= HOUR) this.total = { start: nowMs, count: 0 }
    let window = this.windows.get(address)
    if (!window || nowMs - window.start >= HOUR) {
      this.windows.delete(address)
      window = { start: nowMs, count: 0 }
      this.windows.set(address, window)
      if (this.windows.size > MAX_TRACKED_ADDRESSES) this.windows.delete(this.windows.keys().next().value!)
    }
    if (window.count >= this.perAddress) return Math.ceil((window.start + HOUR - nowMs) / 1000)
    if (this.total.count >= this.overall) return Math.ceil((this.total.start + HOUR - nowMs) / 1000)
    window.count++
    this.total.count++
    return 0
  }
}

export const statusRoutes: FastifyPluginAsync<StatusRouteOptions> = async (app, options) => {
  const { store, config } = options
  const now = options.now ?? (() => new Date())
  const limiter = new SubscribeLimiter(
    config.status.subscribeRatePerHour,
    config.status.subscribeRatePerHour * 10,
  )
  let cached: { at: number; status: Promise<PublicStatus> } | undefined
  const status = () => {
    const at = Date.now()
    if (!cached || at - cached.at > STATUS_CACHE_MS) {
      cached = { at, status: loadPublicStatus(store.sql, config, now()) }
      cached.status.catch(() => {
        cached = undefined
      })
    }
    return cached.status
  }
  const base = (request: FastifyRequest) => config.api.publicUrl ?? `${request.protocol}://${request.host}/`
  const page = (heading: string, message: string, form?: Parameters<typeof renderNoticePage>[3]) =>
    renderNoticePage(config.status.title ?? config.name, heading, message, form)

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 4096 },
    (_request, body, done) => done(null, parseFormBody(body as string)),
  )

  app.get<{ Querystring: { region?: string } }>(
    '/status',
    { schema: { hide: true } },
    async (request, reply) => {
      const current = await status()
      const region = request.query.region
      if (region !== undefined && !current.regions.some((known) => known.name === region)) {
        return reply
          .code(404)
          .headers(PAGE_HEADERS)
          .send(renderStatusPage(current, `No region named ${region}.`))
      }
      return reply.headers(PAGE_HEADERS).send(renderStatusPage(current, undefined, region))
    },
  )

  app.get<{ Params: { scopeType: string; file: string } }>(
    '/status/feeds/:scopeType/:file',
    { schema: { hide: true } },
    async (request, reply) => {
      const { scopeType, file } = request.params
      const match = /^(.+)\.(atom|rss)$/.exec(file)
      const current = await status()
      const known =
        scopeType === 'country'
          ? current.countries
          : scopeType === 'region'
            ? current.regions.map((region) => region.name)
            : []
      if (!match || !known.includes(match[1]!)) {
        return reply.code(404).send({ error: 'not_found', message: `no feed ${scopeType}/${file}` })
      }
      const [, name, format] = match
      const entries = feedEntries(current, scopeType as 'country' | 'region', name!)
      const info = {
        title: `${current.title}: ${name}`,
        selfUrl: new URL(`/status/feeds/${scopeType}/${encodeURIComponent(file)}`, base(request)).toString(),
        pageUrl: new URL('/status', base(request)).toString(),
        generatedAt: current.generatedAt,
      }
      return reply
        .header('cache-control', 'public, max-age=60')
        .type(
          format === 'atom' ? 'application/atom+xml; charset=utf-8' : 'application/rss+xml; charset=utf-8',
        )
        .send(format === 'atom' ? renderAtom(info, entries) : renderRss(info, entries))
    },
  )

  if (!config.status.subscriptions) return

  app.post('/status/subscribe', { schema: { hide: true } }, async (request, reply) => {
    reply.headers(PAGE_HEADERS)
    const fields = (request.body ?? {}) as Record<string, string>
    const email = typeof fields.email === 'string' ? fields.email.trim() : ''
    const scope = typeof fields.scope === 'string' ? fields.scope : ''
    const current = await status()
    const [scopeType, ...rest] = scope.split(':')
    const scopeName = rest.join(':')
    const validScope =
      (scopeType === 'country' && current.countries.includes(scopeName)) ||
      (scopeType === 'region' && current.regions.some((region) => region.name === scopeName))
    if (email.length > 254 || !EMAIL.test(email) || !validScope) {
      return reply.code(400).send(renderStatusPage(current, 'Give an email address and a place to follow.'))
    }
    const wait = limiter.take(clientAddress(request.ip), Date.now())
    if (wait > 0) {
      return reply
        .code(429)
        .header('retry-after', String(wait))
        .send(renderStatusPage(current, 'Too many subscription requests; please try again later.'))
    }
    const at = now()
    await store.sql.begin(async (tx) => {
      const created = await requestSubscription(tx, {
        email,
        scopeType: scopeType as SubscriberScopeType,
        scope: scopeName,
        at,
      })
      await insertNotifications(tx, [
        confirmationNotification(config, created.subscriber, created.confirmToken, at),
      ])
    })
    // The same answer whether or not the address was already subscribed: the page tells nobody who is.
    return reply
      .code(202)
      .send(
        renderStatusPage(
          current,
          'Thank you. We sent a message with a link to confirm the subscription; nothing is sent until you follow it.',
        ),
      )
  })

  // The links in messages open a page with a button: mail scanners that follow links do not subscribe or
  // unsubscribe anyone; only the button (a POST) does.
  app.get<{ Querystring: { token?: string } }>(
    '/status/confirm',
    { schema: { hide: true } },
    async (request, reply) => {
      reply.headers(PAGE_HEADERS)
      const token = request.query.token ?? ''
      if (!TOKEN.test(token))
        return reply.code(400).send(page('Confirm subscription', 'This link is not valid.'))
      return reply.send(
        page('Confirm subscription', 'Press the button to start receiving updates.', {
          action: '/status/confirm',
          fields: { token },
          button: 'Confirm subscription',
        }),
      )
    },
  )

  app.post('/status/confirm', { schema: { hide: true } }, async (request, reply) => {
    reply.headers(PAGE_HEADERS)
    const token = ((request.body ?? {}) as Record<string, string>).token ?? ''
    const subscriber = TOKEN.test(token) ? await confirmSubscription(store.sql, token, now()) : null
    if (!subscriber) {
      return reply
        .code(404)
        .send(page('Confirm subscription', 'This link is not valid or has been replaced.'))
    }
    request.log.info({ subscriber: subscriber.id }, 'status subscription confirmed')
    return reply.send(
      page(
        'Subscription confirmed',
        'You will receive a message when an incident starts or ends where you follow.',
      ),
    )
  })

  app.get<{ Querystring: { token?: string } }>(
    '/status/unsubscribe',
    { schema: { hide: true } },
    async (request, reply) => {
      reply.headers(PAGE_HEADERS)
      const token = request.query.token ?? ''
      if (!TOKEN.test(token)) return reply.code(400).send(page('Unsubscribe', 'This link is not valid.'))
      return reply.send(
        page('Unsubscribe', 'Press the button to stop receiving updates.', {
          action: '/status/unsubscribe',
          fields: { token },
          button: 'Unsubscribe',
        }),
      )
    },
  )

  // Also the RFC 8058 one-click target: the token in the query, `List-Unsubscribe=One-Click` in the body.
  app.post<{ Querystring: { token?: string } }>(
    '/status/unsubscribe',
    { schema: { hide: true } },
    async (request, reply) => {
      reply.headers(PAGE_HEADERS)
      const token = ((request.body ?? {}) as Record<string, string>).token ?? request.query.token ?? ''
      const subscriber = TOKEN.test(token) ? await unsubscribe(store.sql, token, now()) : null
      if (!subscriber) return reply.code(404).send(page('Unsubscribe', 'This link is not valid.'))
      request.log.info({ subscriber: subscriber.id }, 'status subscription ended')
      return reply.send(page('Unsubscribed', 'You will receive no more messages.'))
    },
  )
}
