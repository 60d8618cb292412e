// The OONI poller against an HTTP server on loopback that answers like OONI's measurement API: it follows
// next_url, imports each page once, resumes from the newest stored measurement and survives API errors.
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createOoniPoller } from '@vigil/observatories'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'

let store: TestStore
let server: Server
let base: string
const requests: URL[] = []

const firstPage = JSON.parse(
  readFileSync(
    new URL('../../../test/fixtures/observatories/ooni-api-measurements.json', import.meta.url),
    'utf8',
  ),
)

beforeAll(async () => {
  store = await openTestStore()
  server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', base)
    requests.push(url)
    if (url.searchParams.get('probe_cc') === 'XX') {
      response.writeHead(503).end('maintenance')
      return
    }
    if (url.pathname === '/api/v1/measurements') {
      const body = {
        ...firstPage,
        metadata: { ...firstPage.metadata, next_url: `${base}/api/v1/measurements/page2` },
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
      return
    }
    const second = {
      metadata: { count: 1, next_url: null },
      results: [
        {
          ...firstPage.results[1],
          measurement_uid: '20190706060000.000001_KZ_webconnectivity_aa',
          measurement_start_time: '2019-07-06T06:00:00Z',
        },
      ],
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(second))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  await store.close()
})

it('imports every page once and picks up after the newest stored measurement', async () => {
  const poller = createOoniPoller({
    settings: { apiUrl: `${base}/`, countries: ['KZ', 'XX'], interval: 3_600_000 },
    sql: store.sql,
    now: () => new Date('2019-07-06T12:00:00Z'),
  })
  const [kz, broken] = await poller.runOnce()
  expect(kz).toEqual({ country: 'KZ', pages: 2, records: 4, inserted: 4 })
  expect(broken!.error).toContain('503')
  const first = requests[0]!
  expect(first.searchParams.get('probe_cc')).toBe('KZ')
  expect(first.searchParams.get('since')).toBe('2019-07-05T12:00:00')
  expect(first.searchParams.get('until')).toBe('2019-07-06T12:00:00')

  requests.length = 0
  const [again] = await poller.runOnce()
  expect(again).toMatchObject({ pages: 2, records: 4, inserted: 0 })
  expect(requests[0]!.searchParams.get('since')).toBe('2019-07-06T06:00:00')
  const [{ n }] = await store.sql<
    [{ n: number }]
  >`select count(*)::int as n from measurements where source = 'ooni'`
  expect(n).toBe(4)
})

it('polls at start, then only after its interval, and stops cleanly', async () => {
  requests.length = 0
  const poller = createOoniPoller({
    settings: { apiUrl: base, countries: ['KZ'], interval: 3_600_000 },
    sql: store.sql,
  })
  poller.start()
  await vi.waitFor(() => expect(requests).toHaveLength(2))
  await poller.stop()
  await new Promise((resolve) => setTimeout(resolve, 50))
  expect(requests).toHaveLength(2)
})
