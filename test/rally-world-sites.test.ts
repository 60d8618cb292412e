// The rally world's sites as the probes see them: each behaviour gives the failure string, phase and
// figures the rally-day test relies on, through the real config planner and the real probes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseConfig } from '@vigil/config'
import { planProbes } from '@vigil/prober'
import { type ProbeResult, runProbe } from '@vigil/probes'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildWorldPki, type WorldPki } from './support/rally-world/pki.js'
import {
  DRIP_BYTES_PER_SECOND,
  SERVER_DELAY_MS,
  type SiteMode,
  SLOW_FACTOR,
  startWorldSite,
  type WorldSite,
} from './support/rally-world/site.js'
import { shippedBlockPages } from './support/rally-world/world.js'

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-rally-sites-'))
const TIMEOUT_MS = 2_000
let pki: WorldPki
let site: WorldSite

beforeAll(async () => {
  pki = buildWorldPki(dir, ['localhost', 'facebook.com'])
  site = await startWorldSite('fixed/facebook', 'facebook', pki.certificates)
})
afterAll(async () => {
  await site.close()
  rmSync(dir, { recursive: true, force: true })
})

/** The site's http and tls probes, planned from a config the way every vantage plans them. */
function probes() {
  const config = parseConfig(
    [
      'country: KZ',
      'vantage: { id: kz-almaty-fixed, role: in_country, country: KZ, region: Almaty, network: { asn: 9198 } }',
      'regions: [{ name: Almaty, timeZone: Asia/Almaty }]',
      `probing: { timeout: ${TIMEOUT_MS / 1000}s, blockPages: ${shippedBlockPages()} }`,
      'targetGroups:',
      '  - name: social',
      '    probes: [http, tls]',
      '    targets:',
      `      - { name: facebook, url: 'http://localhost:${site.httpPort}/', port: ${site.tlsPort}, sni: facebook.com }`,
      '',
    ].join('\n'),
    'world.yaml',
    {},
  )
  const [group] = planProbes(config)
  const of = (kind: string) => group!.probes.find((p) => p.probe.kind === kind)!.probe
  return { http: of('http'), tls: of('tls') }
}

async function probe(mode: SiteMode): Promise<{ http: ProbeResult; tls: ProbeResult }> {
  await site.set(mode)
  const planned = probes()
  const options = { timeoutMs: TIMEOUT_MS, ca: readFileSync(pki.rootFile, 'utf8') }
  const [http, tls] = await Promise.all([runProbe(planned.http, options), runProbe(planned.tls, options)])
  return { http, tls }
}

const detail = (result: ProbeResult, key: string) =>
  (result.details as unknown as Record<string, unknown>)[key]

it('answers normally after its usual delay, over http and over tls with the web root trusted', async () => {
  const { http, tls } = await probe('normal')
  expect([http.failure, tls.failure]).toEqual([null, null])
  expect(http.durationMs).toBeGreaterThanOrEqual(SERVER_DELAY_MS)
})

it('refuses connections, and takes them again on the same ports', async () => {
  const { http, tls } = await probe('refuse')
  expect([http.failure, tls.failure]).toEqual(['connection_refused', 'connection_refused'])
  const back = await probe('normal')
  expect([back.http.failure, back.tls.failure]).toEqual([null, null])
})

it('holds connections unanswered: a timeout waiting for headers, and in the TLS handshake', async () => {
  const { http, tls } = await probe('blackhole')
  expect([http.failure, tls.failure]).toEqual(['generic_timeout_error', 'generic_timeout_error'])
  expect(detail(http, 'timeoutPhase')).toBe('headers')
})

it('serves a block page the shipped patterns recognise', async () => {
  const { http, tls } = await probe('blockpage')
  expect(http.failure).toBe('http_blockpage')
  expect(detail(http, 'blockPage')).toBe('access-restricted-ru')
  expect(tls.failure).toBeNull()
})

it('presents a leaf under the untrusted state root when intercepting, plain http untouched', async () => {
  const { http, tls } = await probe('intercept')
  expect(tls.failure).toBe('ssl_unknown_authority')
  expect(http.failure).toBeNull()
})

it('is ten times slower when slow, and only a few ms different with jitter', async () => {
  const slow = await probe('slow')
  expect(slow.http.failure).toBeNull()
  expect(slow.http.durationMs).toBeGreaterThanOrEqual(SERVER_DELAY_MS * SLOW_FACTOR)
  const jitter = await probe('jitter')
  expect(jitter.http.failure).toBeNull()
  expect(jitter.http.durationMs).toBeLessThan(SERVER_DELAY_MS * SLOW_FACTOR)
})

it('drips its body at 128 kbit/s past the timeout: a timeout in the body phase with the rate', async () => {
  const { http, tls } = await probe('drip')
  expect(http.failure).toBe('generic_timeout_error')
  expect(detail(http, 'timeoutPhase')).toBe('body')
  const rate = detail(http, 'transferBytesPerSecond') as number
  expect(rate).toBeGreaterThan(DRIP_BYTES_PER_SECOND * 0.7)
  expect(rate).toBeLessThan(DRIP_BYTES_PER_SECOND * 1.3)
  expect(tls.failure).toBeNull()
  await site.set('normal')
})
