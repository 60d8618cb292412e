// Detection latency: from the moment in-country endpoints go dark to the blackout email being received,
// with the rally-window cadence of 30 s and the shipped detection thresholds, over several runs.
// Reference: IODA's active probing works in 10-minute rounds. Target: every run under 90 s.
// Run: node --import tsx bench/detection-latency.ts [--runs 5]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { type SmtpSink, startSmtp } from '../packages/notify/test/support.js'
import { type SwitchableSite, switchableSite } from '../test/support/switchable-site.js'
import { spawnVigil } from '../test/support/vigil-process.js'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } })
const runs = Number(values.runs)
const CADENCE_S = 30
const TARGET_S = 90
const IODA_ROUND_S = 600

const inCountry: Record<string, string> = {
  'almaty-gov': 'Almaty',
  'almaty-news': 'Almaty',
  'almaty-isp': 'Almaty',
  'astana-gov': 'Nur-Sultan',
  'astana-news': 'Nur-Sultan',
  'astana-isp': 'Nur-Sultan',
}

function config(sites: Record<string, SwitchableSite>, smtp: SmtpSink, now: Date): string {
  const target = (name: string, region?: string) =>
    `      - { name: ${name}, url: 'http://127.0.0.1:${sites[name]!.port}/'${region ? `, region: ${region}` : ''} }`
  // A rally in both cities that is on right now (local time, UTC+5 since 2024), so the 30 s cadence applies.
  const local = (offsetHours: number) =>
    new Date(now.getTime() + (5 + offsetHours) * 3_600_000).toISOString().slice(0, 19)
  return [
    'country: KZ',
    'vantage: { id: de-outside, role: outside, country: DE, network: { asn: 24940 } }',
    'regions:',
    '  - { name: Almaty, timeZone: Asia/Almaty }',
    '  - { name: Nur-Sultan, timeZone: Asia/Almaty }',
    'targetGroups:',
    '  - name: control',
    '    purpose: control',
    '    probes: [http]',
    `    rallyInterval: ${CADENCE_S}s`,
    '    targets:',
    target('wikipedia'),
    target('example'),
    '  - name: in-country',
    '    purpose: outside_in',
    '    probes: [http]',
    `    rallyInterval: ${CADENCE_S}s`,
    '    targets:',
    ...Object.entries(inCountry).map(([name, region]) => target(name, region)),
    'rallies:',
    `  - { name: Benchmark rally, city: [Almaty, Nur-Sultan], start: '${local(-1)}', end: '${local(2)}' }`,
    'alerts:',
    '  receivers: [{ name: press, email: [press@example.org] }]',
    '  routes: [{ receiver: press, kinds: [blackout], levels: [critical], groupWait: 1m, rallyGroupWait: 0s }]',
    `smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: false, from: 'Vigil <vigil@example.org>' }`,
    'news: { sources: [] }',
    '',
  ].join('\n')
}

async function oneRun(index: number): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-latency-'))
  const smtp = await startSmtp()
  const sites: Record<string, SwitchableSite> = {}
  for (const name of [...Object.keys(inCountry), 'wikipedia', 'example'])
    sites[name] = await switchableSite(name)
  const file = path.join(dir, 'vigil.yaml')
  writeFileSync(file, config(sites, smtp, new Date()))
  const vigil = await spawnVigil({
    args: ['start', '--config', file, '--port', '0'],
    connection: { dataDir: path.join(dir, 'data') },
  })
  try {
    // A healthy round or two, then darkness at a random point of the 30 s cycle.
    await new Promise((resolve) => setTimeout(resolve, (CADENCE_S + Math.random() * CADENCE_S) * 1000))
    const dark = Date.now()
    await Promise.all(Object.keys(inCountry).map((name) => sites[name]!.dark()))
    while (smtp.received.length === 0) {
      if (Date.now() - dark > 300_000) throw new Error(`run ${index}: no email within 300 s`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const latency = (Date.now() - dark) / 1000
    process.stdout.write(
      `run ${index + 1}/${runs}: ${latency.toFixed(1)} s  (${smtp.received[0]!.subject})\n`,
    )
    return latency
  } finally {
    await vigil.stop('SIGTERM')
    await Promise.all(Object.values(sites).map((site) => site.close()))
    await smtp.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const latencies: number[] = []
process.stdout.write(`detection latency: ${runs} runs, rally cadence ${CADENCE_S} s, shipped thresholds\n`)
for (let index = 0; index < runs; index++) latencies.push(await oneRun(index))
const sorted = [...latencies].sort((a, b) => a - b)
const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
process.stdout.write(
  [
    '',
    `                         vigil    IODA active probing (one round)   ratio`,
    `min (s)              ${sorted[0]!.toFixed(1).padStart(8)}    ${String(IODA_ROUND_S).padStart(8)}                          ${(IODA_ROUND_S / sorted[0]!).toFixed(1)}x`,
    `median (s)           ${pick(0.5).toFixed(1).padStart(8)}    ${String(IODA_ROUND_S).padStart(8)}                          ${(IODA_ROUND_S / pick(0.5)).toFixed(1)}x`,
    `max (s)              ${sorted.at(-1)!.toFixed(1).padStart(8)}    ${String(IODA_ROUND_S).padStart(8)}                          ${(IODA_ROUND_S / sorted.at(-1)!).toFixed(1)}x`,
    '',
    `every run under ${TARGET_S} s: ${sorted.at(-1)! < TARGET_S ? 'yes' : 'no'}`,
    '',
  ].join('\n'),
)
