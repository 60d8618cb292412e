// End to end as a press-freedom group experiences it: `vigil start` probes in-country endpoints from
// abroad; they go dark; exactly one email arrives saying so, with the evidence; they come back; exactly
// one resolved email follows. A single target going down sends nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createTestDatabase } from '@vigil/store/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type SmtpSink, startSmtp } from '../packages/notify/test/support.js'
import { type SwitchableSite, switchableSite } from './support/switchable-site.js'
import { spawnVigil } from './support/vigil-process.js'
import { waitFor } from './support/wait.js'

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-alerting-'))
let smtp: SmtpSink
let database: Awaited<ReturnType<typeof createTestDatabase>>
const sites: Record<string, SwitchableSite> = {}
const inCountry = {
  'almaty-gov': 'Almaty',
  'almaty-news': 'Almaty',
  'almaty-isp': 'Almaty',
  'astana-gov': 'Nur-Sultan',
  'astana-news': 'Nur-Sultan',
  'astana-isp': 'Nur-Sultan',
}

beforeAll(async () => {
  smtp = await startSmtp()
  database = await createTestDatabase({ migrated: false })
  for (const name of [...Object.keys(inCountry), 'wikipedia', 'example'])
    sites[name] = await switchableSite(name)
})
afterAll(async () => {
  await Promise.all(Object.values(sites).map((site) => site.close()))
  await smtp.close()
  await database.drop()
  rmSync(dir, { recursive: true, force: true })
})

function config(): string {
  const target = (name: string, region?: string) =>
    `      - { name: ${name}, url: 'http://127.0.0.1:${sites[name]!.port}/'${region ? `, region: ${region}` : ''} }`
  return [
    'country: KZ',
    'vantage: { id: de-outside, role: outside, country: DE, network: { asn: 24940 } }',
    'regions:',
    '  - { name: Almaty, timeZone: Asia/Almaty }',
    '  - { name: Nur-Sultan, timeZone: Asia/Almaty }',
    'probing: { concurrency: 16, jitter: 0 }',
    'targetGroups:',
    '  - name: control',
    '    purpose: control',
    '    probes: [http]',
    '    interval: 2s',
    '    rallyInterval: 2s',
    '    timeout: 1s',
    '    targets:',
    target('wikipedia'),
    target('example'),
    '  - name: in-country',
    '    purpose: outside_in',
    '    probes: [http]',
    '    interval: 2s',
    '    rallyInterval: 2s',
    '    timeout: 1s',
    '    targets:',
    ...Object.entries(inCountry).map(([name, region]) => target(name, region)),
    'thresholds:',
    '  blackout: { window: 1m, minSamples: 3, minTargets: 2 }',
    '  incident: { for: 4s, resolveAfter: 4s }',
    'alerts:',
    '  links: { api: "http://vigil.example", dashboard: "http://grafana.example/d/vigil-rally-day" }',
    '  receivers:',
    '    - { name: press, email: [press@example.org] }',
    '  routes:',
    '    - { receiver: press, kinds: [blackout], groupWait: 2s, rallyGroupWait: 0s, groupInterval: 5s, repeatInterval: 4h, sendResolved: true }',
    'smtp:',
    '  host: 127.0.0.1',
    `  port: ${smtp.port}`,
    '  secure: false',
    '  from: Vigil <vigil@example.org>',
    'news: { sources: [] }',
    '',
  ].join('\n')
}

it('emails one blackout for two cities, then one resolution, and nothing for one target down', {
  timeout: 180_000,
}, async () => {
  const file = path.join(dir, 'vigil.yaml')
  writeFileSync(file, config())
  const vigil = await spawnVigil({
    args: ['start', '--config', file, '--port', '0'],
    connection: database.connection,
  })
  try {
    // Normal rounds, then one target down for a while: not a blackout.
    await new Promise((resolve) => setTimeout(resolve, 5_000))
    await sites['almaty-gov']!.dark()
    await new Promise((resolve) => setTimeout(resolve, 12_000))
    expect(smtp.received).toHaveLength(0)
    await sites['almaty-gov']!.light()
    await new Promise((resolve) => setTimeout(resolve, 4_000))

    // Both cities go dark.
    const wentDark = Date.now()
    await Promise.all(Object.keys(inCountry).map((name) => sites[name]!.dark()))
    await waitFor('the blackout email', () => smtp.received.length >= 1, 60_000, 250)
    const latencyMs = Date.now() - wentDark
    await new Promise((resolve) => setTimeout(resolve, 6_000))
    expect(smtp.received).toHaveLength(1)
    const [alert] = smtp.received
    expect(alert!.to).toEqual(['press@example.org'])
    // One kind of evidence (outside-in probes failing while the vantage's own controls answer) on a fresh
    // install with no baseline to show the drop: a warning-level blackout of each city (decision table R8).
    expect(alert!.subject).toMatch(
      /^\[WARNING\] Internet blackout: .*Almaty.*Nur-Sultan.* — since \d{2}:\d{2} \+0[56]$/,
    )
    expect(alert!.text).toContain('no baseline yet')
    expect(alert!.text).not.toContain('normally')
    expect(alert!.text).toContain('almaty-gov')
    expect(alert!.text).toMatch(/0(\.0)?% of probes|share/i)
    expect(alert!.html).toContain('http://grafana.example/d/vigil-rally-day')
    expect(latencyMs).toBeLessThan(60_000)

    const incidents = (await (await vigil.get(`/v1/incidents?kind=blackout&state=firing`)).json()) as {
      incidents: Array<{ region: string | null; level: string }>
    }
    expect(incidents.incidents.map((i) => i.region).sort()).toEqual(
      expect.arrayContaining(['Almaty', 'Nur-Sultan']),
    )
    const metrics = await (await vigil.get(`/metrics`)).text()
    expect(metrics).toContain('vigil_incident_active{kind="blackout",region="Almaty",level="warning"} 1')

    // They come back: exactly one resolved email.
    await Promise.all(Object.keys(inCountry).map((name) => sites[name]!.light()))
    await waitFor('the resolved email', () => smtp.received.length >= 2, 60_000, 250)
    await new Promise((resolve) => setTimeout(resolve, 6_000))
    expect(smtp.received).toHaveLength(2)
    expect(smtp.received[1]!.subject).toMatch(/^\[RESOLVED\] Internet blackout: .*Almaty.*Nur-Sultan/)
  } finally {
    expect(await vigil.stop('SIGTERM')).toBe(0)
  }
})
