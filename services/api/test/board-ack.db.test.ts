// Acknowledgements on the board, in headless Chromium against a real api on loopback and a real store: the
// badge (who, when) reaches an open board live over server-sent events when someone acknowledges through
// the api; an operate session acknowledges and withdraws with the card's button; a read session sees no
// button and its cookie is refused; a form from another site is refused. No console errors, axe-core clean.
import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { buildApp } from '@vigil/api'
import { parseConfig, type VigilConfig } from '@vigil/config'
import { createMetricsRegistry } from '@vigil/metrics'
import { createApiKey, raiseIncident, resolveIncident } from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import type { FastifyInstance } from 'fastify'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../../test/support/wait.js'

// What the functions run inside the page use of the DOM (the test itself is compiled without the DOM lib).
declare const document: { querySelector(selector: string): { textContent: string | null } | null }
declare const window: { marker?: number; axe: { run(): Promise<unknown> } }

const ARTIFACTS = path.resolve(import.meta.dirname, '../../../test-artifacts')
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js')

let store: TestStore
let app: FastifyInstance
let config: VigilConfig
let baseUrl: string
let browser: Browser
const keys = { read: '', operate: '', night: '' }
let incidentId = 0

function configYaml(port: number): string {
  return [
    'name: Vigil KZ',
    'country: KZ',
    'vantage:',
    '  id: kz-almaty-1',
    '  role: in_country',
    '  country: KZ',
    '  region: Almaty',
    '  network:',
    '    asn: 9198',
    'regions:',
    '  - name: Almaty',
    '    timeZone: Asia/Almaty',
    'targetGroups:',
    '  - name: control',
    '    purpose: control',
    '    probes: [http]',
    '    targets:',
    '      - name: example',
    '        url: http://127.0.0.1:9/',
    'api:',
    `  publicUrl: http://127.0.0.1:${port}/`,
  ].join('\n')
}

async function newContext(): Promise<BrowserContext> {
  // bypassCSP: the page forbids inline scripts, and axe-core is injected as one.
  return browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true })
}

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

async function login(page: Page, key: string): Promise<void> {
  await page.goto(`${baseUrl}/login`)
  await page.fill('#key', key)
  await page.click('button[type=submit]')
  await page.waitForURL(`${baseUrl}/`, { waitUntil: 'commit', timeout: 10_000 })
  await expect.poll(() => page.getAttribute('body', 'data-connection'), { timeout: 10_000 }).toBe('live')
}

async function sessionCookie(key: string): Promise<string> {
  const response = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `key=${encodeURIComponent(key)}`,
    redirect: 'manual',
  })
  expect(response.status).toBe(303)
  return response.headers.get('set-cookie')!.split(';')[0]!
}

const apiAck = (method: 'POST' | 'DELETE', body?: unknown) =>
  fetch(`${baseUrl}/v1/incidents/${incidentId}/ack`, {
    method,
    headers: {
      authorization: `Bearer ${keys.night}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })

const badgeText = () => document.querySelector('li.card .ack')?.textContent ?? null

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  store = await openTestStore()
  const port = await freePort()
  config = parseConfig(`${configYaml(port)}\n`, 'board-ack-test.yaml', {})
  keys.read = (await createApiKey(store.sql, { name: 'monitor laptop', scope: 'read' })).key
  keys.operate = (await createApiKey(store.sql, { name: 'duty desk', scope: 'operate' })).key
  keys.night = (await createApiKey(store.sql, { name: 'night shift', scope: 'operate' })).key
  incidentId = (
    await raiseIncident(store.sql, {
      identity: 'blackout|region|Almaty',
      kind: 'blackout',
      scopeType: 'region',
      scope: 'Almaty',
      region: 'Almaty',
      level: 'critical',
      state: 'firing',
      summary: 'Internet blackout in Almaty',
      evidence: {},
      at: new Date(),
    })
  ).incident.id
  app = await buildApp({
    store,
    registry: createMetricsRegistry({ version: 'test', defaultMetrics: false }),
    version: 'test',
    config,
    board: { pollMs: 250, heartbeatMs: 1_000 },
  })
  await app.listen({ host: '127.0.0.1', port })
  baseUrl = `http://127.0.0.1:${port}`
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await app?.close()
  await store?.close()
})

describe('acknowledgements on the board', () => {
  it('show on an open board within 5 s, without a reload, when acknowledged through the api', async () => {
    const context = await newContext()
    const page = await context.newPage()
    const errors = watchErrors(page)
    try {
      await login(page, keys.read)
      await page.evaluate(() => {
        window.marker = 7
      })
      // A read session sees the incident and no button.
      expect(await page.locator(`li.card[data-incident="${incidentId}"]`).count()).toBe(1)
      expect(await page.locator('form.ack-form').count()).toBe(0)
      expect(await page.locator('.badge-ack').count()).toBe(0)

      expect((await apiAck('POST', { comment: 'calling Kcell' })).status).toBe(200)
      await page.waitForFunction(() => document.querySelector('li.card .ack') !== null, undefined, {
        timeout: 5_000,
      })
      const badge = await page.evaluate(badgeText)
      expect(badge).toMatch(/^Acknowledged by night shift at \d{4}-\d\d-\d\d \d\d:\d\d UTC · calling Kcell$/)
      expect(await page.evaluate(() => window.marker)).toBe(7)
      expect(await page.locator('form.ack-form').count()).toBe(0)
      await page.screenshot({ path: path.join(ARTIFACTS, 'board-acknowledged.png'), fullPage: true })
      expect(await seriousViolations(page)).toEqual([])

      expect((await apiAck('DELETE')).status).toBe(204)
      await page.waitForFunction(() => document.querySelector('li.card .ack') === null, undefined, {
        timeout: 5_000,
      })
      expect(await page.evaluate(() => window.marker)).toBe(7)
      expect(errors).toEqual([])
    } finally {
      await context.close()
    }
  }, 60_000)

  it('lets an operate session acknowledge and withdraw with the button', async () => {
    const context = await newContext()
    const page = await context.newPage()
    const errors = watchErrors(page)
    try {
      await login(page, keys.operate)
      const card = page.locator(`li.card[data-incident="${incidentId}"]`)
      await card.getByRole('button', { name: 'Acknowledge' }).click()
      await page.waitForURL(`${baseUrl}/#incident-${incidentId}`, { timeout: 10_000 })
      await expect
        .poll(() => page.evaluate(badgeText), { timeout: 5_000 })
        .toMatch(/^Acknowledged by duty desk at /)
      expect(await seriousViolations(page)).toEqual([])

      await card.getByRole('button', { name: 'Withdraw acknowledgement' }).click()
      await expect.poll(() => page.locator('.badge-ack').count(), { timeout: 5_000 }).toBe(0)
      await expect.poll(() => card.getByRole('button', { name: 'Acknowledge' }).count()).toBe(1)
      expect(errors).toEqual([])
    } finally {
      await context.close()
    }
  }, 60_000)

  it('refuses a read session, a form from another site, and the cookie on the api route', async () => {
    const form = (cookie: string, headers: Record<string, string> = {}) =>
      fetch(`${baseUrl}/board/incidents/${incidentId}/ack`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: '',
        redirect: 'manual',
      })
    const read = await sessionCookie(keys.read)
    const refusedRead = await form(read, { origin: baseUrl })
    expect(refusedRead.status).toBe(403)
    expect(((await refusedRead.json()) as { message: string }).message).toContain('scope read')

    const operate = await sessionCookie(keys.operate)
    expect((await form(operate, { origin: 'https://evil.example' })).status).toBe(403)
    expect((await form(operate, { 'sec-fetch-site': 'cross-site' })).status).toBe(403)
    expect((await form(operate, { origin: 'null' })).status).toBe(403)
    // The session cookie changes nothing on the api's own routes.
    const viaApi = await fetch(`${baseUrl}/v1/incidents/${incidentId}/ack`, {
      method: 'POST',
      headers: { cookie: operate, origin: baseUrl },
    })
    expect(viaApi.status).toBe(403)
    expect((await form('', { origin: baseUrl })).status).toBe(401)
    const listed = await fetch(`${baseUrl}/v1/incidents`, {
      headers: { authorization: `Bearer ${keys.read}` },
    })
    const incident = (
      (await listed.json()) as { incidents: Array<{ id: number; acknowledgement: unknown }> }
    ).incidents.find((item) => item.id === incidentId)
    expect(incident?.acknowledgement).toBeNull()

    // From the board itself it works; once resolved, the board says why it cannot.
    const accepted = await form(operate, { origin: baseUrl })
    expect(accepted.status).toBe(303)
    expect(accepted.headers.get('location')).toBe(`/#incident-${incidentId}`)
    await resolveIncident(store.sql, 'blackout|region|Almaty', new Date())
    const late = await form(operate, { origin: baseUrl })
    expect(late.status).toBe(409)
    expect(await late.text()).toContain(`incident ${incidentId} is resolved`)
  })
})
