// The board and the status page in headless Chromium against a real api on loopback, a real store and a
// real SMTP sink: rendered at desktop and phone sizes (screenshots kept in test-artifacts/), live updates
// over server-sent events, accessibility (axe-core), the feeds parsed as Atom and RSS, and a subscription
// confirmed through the emailed link that receives the next incident exactly once.
import { mkdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { buildApp } from '@vigil/api'
import { planSubscriberNotifications } from '@vigil/board'
import { parseConfig, type VigilConfig } from '@vigil/config'
import { createMetricsRegistry } from '@vigil/metrics'
import type { BlackoutEvidence } from '@vigil/model'
import { createNotifier, type Notifier } from '@vigil/notify'
import {
  confirmSubscription,
  createApiKey,
  createReport,
  insertMeasurements,
  insertNewsItems,
  raiseIncident,
  recordHeartbeat,
  requestSubscription,
  resolveIncident,
  revokeApiKey,
  upsertSources,
  upsertTargets,
  upsertVantage,
} from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import type { FastifyInstance } from 'fastify'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import Parser from 'rss-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type SmtpSink, startSmtp } from '../../../packages/notify/test/support.js'
import { freePort, waitFor } from '../../../test/support/wait.js'

// What the functions run inside the page use of the DOM (the test itself is compiled without the DOM lib).
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null
  documentElement: { scrollWidth: number }
}
declare const window: { innerWidth: number; marker?: number; axe: { run(): Promise<unknown> } }

const ARTIFACTS = path.resolve(import.meta.dirname, '../../../test-artifacts')
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js')
const VANTAGE = 'kz-almaty-volunteer-7'
const DESKTOP = { width: 1280, height: 900 }
const PHONE = { width: 390, height: 844 }

let store: TestStore
let smtp: SmtpSink
let app: FastifyInstance
let config: VigilConfig
let baseUrl: string
let browser: Browser
let readKey: string
let notifier: Notifier

function configYaml(port: number, smtpPort: number, rallyDay: string): string {
  return [
    'name: Vigil KZ',
    'country: KZ',
    'vantage:',
    `  id: ${VANTAGE}`,
    '  role: in_country',
    '  country: KZ',
    '  region: Almaty',
    '  network:',
    '    asn: 9198',
    'regions:',
    '  - name: Almaty',
    '    timeZone: Asia/Almaty',
    '  - name: Shymkent',
    '    timeZone: Asia/Almaty',
    '  - name: Aktau',
    '    timeZone: Asia/Aqtau',
    'targetGroups:',
    '  - name: control',
    '    purpose: control',
    '    probes: [http]',
    '    targets:',
    '      - name: example',
    '        url: http://127.0.0.1:9/',
    'rallies:',
    '  - name: Rally for fair elections',
    '    city: [Almaty, Shymkent]',
    `    start: ${rallyDay}T10:00`,
    `    end: ${rallyDay}T14:00`,
    'api:',
    `  publicUrl: http://127.0.0.1:${port}/`,
    'smtp:',
    '  host: 127.0.0.1',
    `  port: ${smtpPort}`,
    '  secure: false',
    '  from: Vigil <vigil@example.org>',
    '  timeout: 5s',
    'status:',
    '  enabled: true',
    '  title: Internet in Kazakhstan',
  ].join('\n')
}

async function seed(now: Date): Promise<void> {
  const sql = store.sql
  await upsertVantage(sql, {
    id: VANTAGE,
    country: 'KZ',
    region: 'Almaty',
    asn: 9198,
    network: null,
    role: 'in_country',
  })
  await upsertVantage(sql, {
    id: 'kz-shymkent-2',
    country: 'KZ',
    region: 'Shymkent',
    asn: 9198,
    network: null,
    role: 'in_country',
  })
  await upsertTargets(sql, [
    {
      id: 'example',
      groupName: 'control',
      purpose: 'control',
      host: '127.0.0.1',
      port: 9,
      url: null,
      probes: ['http'],
      region: null,
      asn: null,
    },
  ])
  // A day of hourly probes: Almaty fine, Shymkent losing a quarter of its probes in the last hours. A
  // quarter stays clear of the unexplained-low-share line (0.5) wherever the hour boundaries fall, so the
  // tile is `ok` whatever minute of the hour the test runs at.
  const rows = []
  for (let hour = 30; hour >= 0; hour--) {
    for (let i = 0; i < 4; i++) {
      const measuredAt = new Date(now.getTime() - hour * 3_600_000 - i * 60_000)
      rows.push({
        measuredAt,
        vantageId: VANTAGE,
        targetId: 'example',
        kind: 'http',
        region: 'Almaty',
        asn: 9198,
        ok: true,
        failure: null,
      })
      const ok = !(hour < 5 && i === 1)
      rows.push({
        measuredAt,
        vantageId: 'kz-shymkent-2',
        targetId: 'example',
        kind: 'http',
        region: 'Shymkent',
        asn: 9198,
        ok,
        failure: ok ? null : 'generic_timeout_error',
      })
    }
  }
  await insertMeasurements(sql, rows)
  await recordHeartbeat(sql, {
    vantageId: VANTAGE,
    receivedAt: now,
    agentTime: new Date(now.getTime() + 1_500),
    spoolBacklog: 12,
    agentVersion: '0.1.0',
  })
  await upsertSources(sql, [{ name: 'vlast', url: 'https://vlast.kz/rss', type: 'rss' }])
  const items = await insertNewsItems(sql, [
    {
      source: 'vlast',
      guid: 'vlast-1',
      canonicalUrl: 'https://vlast.kz/news/1',
      title: 'В Алматы задержаны участники митинга',
      link: 'https://vlast.kz/news/1',
      publishedAt: now,
      language: 'ru',
      detention: true,
      score: 5,
      counts: [{ value: 40, qualifier: 'approx' }],
      cities: ['Almaty'],
      dates: [],
      people: [],
      evidence: 'задержаны около 40 человек',
      fetchedAt: now,
    },
  ])
  await createReport(
    sql,
    {
      day: now.toISOString().slice(0, 10),
      cities: ['Almaty'],
      counts: [{ value: 40, qualifier: 'approx' }],
      language: 'ru',
      title: 'В Алматы задержаны участники митинга',
      evidence: 'задержаны около 40 человек',
      people: [],
      at: now,
    },
    items[0]!.id,
  )
}

// A blackout's evidence as the detector writes it (the contract every reader parses).
function blackoutEvidence(figures: { share: number; baseline: number; failingVantages: string[] }) {
  return {
    ...figures,
    ratio: figures.share / figures.baseline,
    baselineHours: 168,
    series: 12,
    failingSeries: 12,
    failingTargets: ['kz/egov'],
    controlFailing: true,
    outsideInFailing: 0,
    confirmed: true,
    silentVantages: [],
    failures: { generic_timeout_error: 12 },
  } satisfies BlackoutEvidence
}

function blackout(region: string, at: Date) {
  return {
    identity: `blackout|region|${region}`,
    kind: 'blackout' as const,
    scopeType: 'region' as const,
    scope: region,
    region,
    level: 'critical' as const,
    state: 'firing' as const,
    summary: `Blackout in ${region}: ${VANTAGE} cannot reach anything`,
    evidence: blackoutEvidence({ share: 0.02, baseline: 0.97, failingVantages: [VANTAGE] }),
    at,
  }
}

async function newContext(viewport: { width: number; height: number }): Promise<BrowserContext> {
  // bypassCSP: the page forbids inline scripts, and axe-core is injected as one.
  return browser.newContext({
    viewport,
    bypassCSP: true,
    isMobile: viewport.width < 600,
    hasTouch: viewport.width < 600,
  })
}

/** Collects console errors and page errors of a page. */
function watchErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text())
  })
  page.on('pageerror', (error) => errors.push(error.message))
  return errors
}

async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE })
  const result = (await page.evaluate(() => window.axe.run())) as {
    violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown }> }>
  }
  return result.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${JSON.stringify(violation.nodes.map((node) => node.target))}`)
}

async function login(page: Page): Promise<void> {
  await page.goto(`${baseUrl}/`)
  // Without a session the board sends the browser to the login form.
  expect(new URL(page.url()).pathname).toBe('/login')
  await page.fill('#key', readKey)
  await page.click('button[type=submit]')
  await page.waitForURL(`${baseUrl}/`, { waitUntil: 'commit', timeout: 10_000 }).catch(async (error) => {
    throw new Error(
      `login did not reach the board: at ${page.url()}: ${(await page.content()).slice(0, 3000)}`,
      { cause: error },
    )
  })
}

function tileState(page: Page, region: string) {
  return page.locator(`li.tile[data-region="${region}"] .state`)
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  store = await openTestStore()
  smtp = await startSmtp()
  const port = await freePort()
  const rallyDay = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10)
  config = parseConfig(`${configYaml(port, smtp.port, rallyDay)}\n`, 'board-test.yaml', {})
  await seed(new Date())
  readKey = (await createApiKey(store.sql, { name: 'monitor laptop', scope: 'read' })).key
  app = await buildApp({
    store,
    registry: createMetricsRegistry({ version: 'test', defaultMetrics: false }),
    version: 'test',
    config,
    silenceAfterMs: 5 * 60_000,
    board: { pollMs: 250, heartbeatMs: 1_000 },
  })
  await app.listen({ host: '127.0.0.1', port })
  baseUrl = `http://127.0.0.1:${port}`
  notifier = createNotifier({
    config,
    sql: store.sql,
    extraPlanners: [(at) => planSubscriberNotifications(store.sql, config, at)],
    backoff: { baseMs: 10, maxMs: 100 },
  })
  // launch() gives the browser a fresh temporary profile (its own --user-data-dir), removed on close.
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await notifier?.stop()
  await app?.close()
  await smtp?.close()
  await store?.close()
})

describe('the board', () => {
  it('sends a browser without a session to the login form and refuses a wrong key', async () => {
    const anonymous = await fetch(`${baseUrl}/`, { redirect: 'manual' })
    expect(anonymous.status).toBe(303)
    expect(anonymous.headers.get('location')).toBe('/login')
    const events = await fetch(`${baseUrl}/v1/board/events`)
    expect(events.status).toBe(401)
    const wrong = await fetch(`${baseUrl}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'key=vgk_not-a-key',
      redirect: 'manual',
    })
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('set-cookie')).toBeNull()
    // A login posted from another site is refused before the key is looked at.
    const forged = await fetch(`${baseUrl}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: `key=${encodeURIComponent(readKey)}`,
      redirect: 'manual',
    })
    expect(forged.status).toBe(403)
  })

  it('serves the essential state in the HTML and sets an HttpOnly SameSite=Strict session cookie', async () => {
    const response = await fetch(`${baseUrl}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `key=${encodeURIComponent(readKey)}`,
      redirect: 'manual',
    })
    expect(response.status).toBe(303)
    const cookie = response.headers.get('set-cookie')!
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Strict/)
    const session = cookie.split(';')[0]!
    const page = await fetch(`${baseUrl}/`, { headers: { cookie: session } })
    expect(page.status).toBe(200)
    const html = await page.text()
    // Before any script runs: tiles with states, the detention report, the vantage and the rally.
    expect(html).toContain('data-region="Almaty"')
    expect(html).toMatch(/data-region="Shymkent"[\s\S]*?state-ok/)
    expect(html).toMatch(/data-region="Aktau"[\s\S]*?No data/)
    expect(html).toContain('about 40')
    expect(html).toContain(VANTAGE)
    expect(html).toContain('Rally for fair elections')
    // The cookie reads; it does not change anything, even with the key's scope allowing it.
    const post = await fetch(`${baseUrl}/v1/silences`, { method: 'POST', headers: { cookie: session } })
    expect([401, 403]).toContain(post.status)
  })

  it('ends the sessions of a revoked key, and a logged-out session', async () => {
    const sessionOf = async (key: string) => {
      const response = await fetch(`${baseUrl}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `key=${encodeURIComponent(key)}`,
        redirect: 'manual',
      })
      expect(response.status).toBe(303)
      return response.headers.get('set-cookie')!.split(';')[0]!
    }
    const doomed = await createApiKey(store.sql, { name: 'lost phone', scope: 'read' })
    const session = await sessionOf(doomed.key)
    expect((await fetch(`${baseUrl}/v1/board`, { headers: { cookie: session } })).status).toBe(200)
    await revokeApiKey(store.sql, doomed.id)
    expect((await fetch(`${baseUrl}/v1/board`, { headers: { cookie: session } })).status).toBe(401)
    const page = await fetch(`${baseUrl}/`, { headers: { cookie: session }, redirect: 'manual' })
    expect(page.headers.get('location')).toBe('/login')

    const other = await sessionOf(readKey)
    const logout = await fetch(`${baseUrl}/logout`, {
      method: 'POST',
      headers: { cookie: other },
      redirect: 'manual',
    })
    expect(logout.status).toBe(303)
    expect((await fetch(`${baseUrl}/v1/board`, { headers: { cookie: other } })).status).toBe(401)
  })

  it('shows a blackout raised in the store within 5 s without a reload, and its resolution', async () => {
    const context = await newContext(DESKTOP)
    const page = await context.newPage()
    const errors = watchErrors(page)
    try {
      await login(page)
      await expect.poll(() => page.getAttribute('body', 'data-connection'), { timeout: 10_000 }).toBe('live')
      await expect.poll(() => tileState(page, 'Almaty').textContent(), { timeout: 10_000 }).toBe('OK')
      await page.screenshot({ path: path.join(ARTIFACTS, 'board-desktop.png'), fullPage: true })

      await page.evaluate(() => {
        window.marker = 42
      })
      await raiseIncident(store.sql, blackout('Almaty', new Date()))
      await page.waitForFunction(
        () => document.querySelector('li.tile[data-region="Almaty"] .state')?.textContent === 'Blackout',
        undefined,
        { timeout: 5_000 },
      )
      // The same page: no reload happened.
      expect(await page.evaluate(() => window.marker)).toBe(42)
      const card = page.locator('li.card[data-incident]')
      await expect.poll(() => card.count()).toBe(1)
      const cardText = await card.textContent()
      expect(cardText).toContain('Internet blackout')
      expect(cardText).toContain('2% of probes succeed against 97% normally')
      await page.screenshot({ path: path.join(ARTIFACTS, 'board-desktop-blackout.png'), fullPage: true })
      // The first screen only: the picture in the README (docs/board.png) is a copy of this one.
      await page.screenshot({ path: path.join(ARTIFACTS, 'board-desktop-blackout-first-screen.png') })
      expect(await seriousViolations(page)).toEqual([])

      await resolveIncident(store.sql, 'blackout|region|Almaty', new Date())
      await page.waitForFunction(
        () => document.querySelector('li.tile[data-region="Almaty"] .state')?.textContent === 'OK',
        undefined,
        { timeout: 5_000 },
      )
      expect(await page.evaluate(() => window.marker)).toBe(42)
      expect(errors).toEqual([])
    } finally {
      await context.close()
    }
  }, 60_000)

  it('is readable on a phone: one column, nothing wider than the screen', async () => {
    const context = await newContext(PHONE)
    const page = await context.newPage()
    const errors = watchErrors(page)
    try {
      await login(page)
      await expect.poll(() => page.getAttribute('body', 'data-connection'), { timeout: 10_000 }).toBe('live')
      const widths = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        inner: window.innerWidth,
      }))
      expect(widths.scroll).toBeLessThanOrEqual(widths.inner)
      const tiles = await page
        .locator('li.tile')
        .evaluateAll((nodes) => nodes.map((node) => node.getBoundingClientRect().left))
      expect(new Set(tiles).size).toBe(1)
      await page.screenshot({ path: path.join(ARTIFACTS, 'board-phone.png'), fullPage: true })
      expect(statSync(path.join(ARTIFACTS, 'board-phone.png')).size).toBeGreaterThan(10_000)
      expect(await seriousViolations(page)).toEqual([])
      expect(errors).toEqual([])
    } finally {
      await context.close()
    }
  }, 60_000)
})

describe('the public status page', () => {
  it('is not served unless status.enabled is set', async () => {
    const yaml = configYaml(0, smtp.port, '2030-01-01').replace('  enabled: true', '  enabled: false')
    const off = await buildApp({
      store,
      registry: createMetricsRegistry({ version: 'test', defaultMetrics: false }),
      version: 'test',
      config: parseConfig(`${yaml}\n`, 'status-off.yaml', {}),
    })
    try {
      for (const url of ['/status', '/status/feeds/country/KZ.atom', '/status/confirm?token=x']) {
        expect((await off.inject({ url })).statusCode, url).toBe(404)
      }
      expect((await off.inject({ method: 'POST', url: '/status/subscribe' })).statusCode).toBe(404)
    } finally {
      await off.close()
    }
  })

  it('renders at desktop and phone sizes without any vantage detail and without serious violations', async () => {
    await raiseIncident(store.sql, {
      ...blackout('Shymkent', new Date()),
      evidence: blackoutEvidence({ share: 0.1, baseline: 0.95, failingVantages: ['kz-shymkent-2'] }),
    })
    for (const [name, viewport] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      const context = await newContext(viewport)
      const page = await context.newPage()
      const errors = watchErrors(page)
      try {
        await page.goto(`${baseUrl}/status`)
        await expect
          .poll(() => page.locator('li.tile[data-region="Shymkent"] .state').textContent())
          .toBe('Blackout')
        const html = await page.content()
        for (const secret of [VANTAGE, 'kz-shymkent-2', '9198', readKey]) expect(html).not.toContain(secret)
        const widths = await page.evaluate(() => ({
          scroll: document.documentElement.scrollWidth,
          inner: window.innerWidth,
        }))
        expect(widths.scroll).toBeLessThanOrEqual(widths.inner)
        await page.screenshot({ path: path.join(ARTIFACTS, `status-${name}.png`), fullPage: true })
        expect(await seriousViolations(page)).toEqual([])
        expect(errors).toEqual([])
      } finally {
        await context.close()
      }
    }
    await resolveIncident(store.sql, 'blackout|region|Shymkent', new Date())
    const history = await (await fetch(`${baseUrl}/status?region=Shymkent`)).text()
    expect(history).toContain('History of Shymkent')
    expect(history).toContain('Internet blackout: Shymkent')
    expect(history).not.toContain('Detentions reported: Almaty')
    expect((await fetch(`${baseUrl}/status?region=Atlantis`)).status).toBe(404)
  }, 60_000)

  it('serves feeds per country and region that parse as Atom and RSS with their required elements', async () => {
    const parser = new Parser()
    for (const feed of ['country/KZ', 'region/Shymkent', 'region/Almaty']) {
      const atomResponse = await fetch(`${baseUrl}/status/feeds/${feed}.atom`)
      expect(atomResponse.headers.get('content-type')).toMatch(/^application\/atom\+xml/)
      const atomText = await atomResponse.text()
      expect(atomText).toMatch(
        /^<\?xml version="1.0" encoding="utf-8"\?>\n<feed xmlns="http:\/\/www.w3.org\/2005\/Atom">/,
      )
      const atom = await parser.parseString(atomText)
      expect(atom.title).toBeTruthy()
      expect(atom.feedUrl ?? atom.link).toBeTruthy()
      expect(atomText).toMatch(/<feed[^>]*>\s*<id>[^<]+<\/id>/)
      expect(atomText).toMatch(/<updated>\d{4}-\d\d-\d\dT[^<]+<\/updated>/)
      expect(atom.items.length).toBeGreaterThan(0)
      for (const item of atom.items) {
        expect(item.title).toBeTruthy()
        expect(item.id).toMatch(/^urn:uuid:[0-9a-f-]{36}$/)
        expect(item.link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/status#/)
        expect(Number.isNaN(Date.parse(item.isoDate ?? ''))).toBe(false)
      }
      const rssText = await (await fetch(`${baseUrl}/status/feeds/${feed}.rss`)).text()
      expect(rssText).toContain('<rss version="2.0"')
      const rss = await parser.parseString(rssText)
      expect(rss.title).toBeTruthy()
      expect(rss.link).toMatch(/\/status$/)
      expect(rss.description).toBeTruthy()
      expect(rss.items.map((item) => item.guid)).toEqual(atom.items.map((item) => item.id))
      for (const item of rss.items) {
        expect(item.title).toBeTruthy()
        expect(Number.isNaN(Date.parse(item.pubDate ?? ''))).toBe(false)
      }
      for (const text of [atomText, rssText]) {
        for (const secret of [VANTAGE, 'kz-shymkent-2', '9198']) expect(text).not.toContain(secret)
      }
    }
    const regionFeed = await parser.parseString(
      await (await fetch(`${baseUrl}/status/feeds/region/Shymkent.atom`)).text(),
    )
    expect(regionFeed.items.some((item) => /Shymkent/.test(item.title ?? ''))).toBe(true)
    expect(regionFeed.items.some((item) => /Almaty/.test(item.title ?? ''))).toBe(false)
    const country = await parser.parseString(
      await (await fetch(`${baseUrl}/status/feeds/country/KZ.rss`)).text(),
    )
    expect(country.items.some((item) => /Detentions reported: Almaty: about 40/.test(item.title ?? ''))).toBe(
      true,
    )
    expect((await fetch(`${baseUrl}/status/feeds/region/Atlantis.atom`)).status).toBe(404)
  })

  it('confirms a subscription through the emailed link and delivers the next incident once', async () => {
    const address = 'reader@newsroom.example'
    const context = await newContext(DESKTOP)
    const page = await context.newPage()
    const errors = watchErrors(page)
    try {
      await page.goto(`${baseUrl}/status`)
      await page.fill('#email', address)
      await page.selectOption('#scope', 'region:Almaty')
      await page.click('form.subscribe button[type=submit]')
      await expect.poll(() => page.locator('.notice').textContent()).toContain('link to confirm')

      await notifier.runOnce()
      await waitFor('the confirmation message', () => smtp.received.some((mail) => mail.to.includes(address)))
      const confirmation = smtp.received.find((mail) => mail.to.includes(address))!
      expect(confirmation.headers['list-unsubscribe']).toMatch(/\/status\/unsubscribe\?token=/)
      const confirmLink = /(http:\/\/127\.0\.0\.1:\d+\/status\/confirm\?token=[A-Za-z0-9_-]{43})/.exec(
        confirmation.text,
      )![1]!
      // Nothing is sent for incidents while the subscription is unconfirmed.
      await raiseIncident(store.sql, blackout('Almaty', new Date()))
      await notifier.runOnce()
      expect(smtp.received.filter((mail) => mail.to.includes(address))).toHaveLength(1)
      await resolveIncident(store.sql, 'blackout|region|Almaty', new Date())

      await page.goto(confirmLink)
      await page.click('button[type=submit]')
      await expect.poll(() => page.locator('h2').textContent()).toBe('Subscription confirmed')
      const [row] = await store.sql<Array<{ state: string; consent_at: Date | null }>>`
        select state, consent_at from status_subscribers where email = ${address}`
      expect(row!.state).toBe('confirmed')
      expect(row!.consent_at).toBeInstanceOf(Date)

      // The next incident in Almaty, and one elsewhere the subscriber does not follow.
      await new Promise((resolve) => setTimeout(resolve, 5))
      await raiseIncident(store.sql, {
        ...blackout('Almaty', new Date()),
        identity: 'blackout|region|Almaty|2',
      })
      await raiseIncident(store.sql, blackout('Aktau', new Date()))
      for (let round = 0; round < 3; round++) await notifier.runOnce()
      const messages = smtp.received.filter((mail) => mail.to.includes(address))
      expect(messages).toHaveLength(2)
      const alert = messages[1]!
      expect(alert.subject).toBe('Now: Internet blackout: Almaty')
      expect(alert.text).toContain('Successful probes: 2% of probes succeed against 97% normally')
      expect(alert.text).not.toContain(VANTAGE)
      const unsubscribeLink = /Unsubscribe: (\S+)/.exec(alert.text)![1]!
      expect(alert.headers['list-unsubscribe']).toBe(`<${unsubscribeLink}>`)

      await page.goto(unsubscribeLink)
      await page.click('button[type=submit]')
      await expect.poll(() => page.locator('h2').textContent()).toBe('Unsubscribed')
      await resolveIncident(store.sql, 'blackout|region|Almaty|2', new Date())
      for (let round = 0; round < 2; round++) await notifier.runOnce()
      expect(smtp.received.filter((mail) => mail.to.includes(address))).toHaveLength(2)
      expect(errors).toEqual([])
    } finally {
      await context.close()
    }
  }, 60_000)

  it('retries a subscriber message while the SMTP server is down and delivers it once when it is back', async () => {
    const address = 'desk@press-freedom.example'
    const requested = await requestSubscription(store.sql, {
      email: address,
      scopeType: 'region',
      scope: 'Shymkent',
      at: new Date(),
    })
    await confirmSubscription(store.sql, requested.confirmToken, new Date())
    const port = smtp.port
    await smtp.close()
    await new Promise((resolve) => setTimeout(resolve, 5))
    await raiseIncident(store.sql, {
      ...blackout('Shymkent', new Date()),
      identity: 'blackout|region|Shymkent|2',
    })
    const down = await notifier.runOnce()
    expect(down.failed).toBeGreaterThanOrEqual(1)
    const [pending] = await store.sql<Array<{ state: string; attempts: number }>>`
      select state, attempts from notifications where receiver = ${`subscriber:${requested.subscriber.id}`}`
    expect(pending).toEqual({ state: 'pending', attempts: 1 })

    smtp = await startSmtp(port)
    await waitFor('the retried message', async () => {
      await notifier.runOnce()
      return smtp.received.some((mail) => mail.to.includes(address))
    })
    for (let round = 0; round < 3; round++) await notifier.runOnce()
    const received = smtp.received.filter((mail) => mail.to.includes(address))
    expect(received).toHaveLength(1)
    expect(received[0]!.subject).toBe('Now: Internet blackout: Shymkent')
    await resolveIncident(store.sql, 'blackout|region|Shymkent|2', new Date())
  }, 60_000)

  it('limits subscription requests per client address', async () => {
    const statuses: number[] = []
    for (let i = 0; i < config.status.subscribeRatePerHour + 1; i++) {
      const response = await fetch(`${baseUrl}/status/subscribe`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `email=flood${i}%40example.org&scope=country%3AKZ`,
      })
      statuses.push(response.status)
    }
    // One request was made by the subscription test before.
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(1)
    expect(statuses.at(-1)).toBe(429)
  })
})

describe('a stale connection', () => {
  it('is shown as stale when the api goes away', async () => {
    const context = await newContext(DESKTOP)
    const page = await context.newPage()
    try {
      await login(page)
      await expect.poll(() => page.getAttribute('body', 'data-connection'), { timeout: 10_000 }).toBe('live')
      await app.close()
      await expect.poll(() => page.getAttribute('body', 'data-connection'), { timeout: 20_000 }).toBe('stale')
      expect(await page.locator('#connection').textContent()).toMatch(/^Stale/)
      await page.screenshot({ path: path.join(ARTIFACTS, 'board-stale.png') })
    } finally {
      await context.close()
    }
  }, 60_000)
})
