// `vigil import ooni|ioda`, `vigil report rally` and `vigil export` against a real store: imports are
// idempotent, keep the good records of a partly malformed file (all or nothing with --strict), and the
// report and the exports come out of a simulated rally day.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import type { Sql } from '@vigil/store'
import { createTestDatabase } from '@vigil/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { simulateRallyDay } from '../../../bench/simulate-rally-day.js'
import { runVigil, withStore as withTestStore } from './support.js'

let database: Awaited<ReturnType<typeof createTestDatabase>>
let outDir: string
const fixture = (name: string) =>
  path.resolve(import.meta.dirname, '../../../test/fixtures/observatories', name)

beforeAll(async () => {
  database = await createTestDatabase()
  outDir = mkdtempSync(path.join(tmpdir(), 'vigil-cli-'))
})
afterAll(async () => {
  await database.drop()
  rmSync(outDir, { recursive: true, force: true })
})

function vigil(...args: string[]) {
  return runVigil(database.connection, args)
}

function withStore<T>(use: (sql: Sql) => Promise<T>): Promise<T> {
  return withTestStore(database.connection, use)
}

const count = (table: string, where = 'true') =>
  withStore(
    async (sql) =>
      (await sql.unsafe(`select count(*)::int as n from ${table} where ${where}`))[0]!.n as number,
  )

describe('vigil import', () => {
  it('imports OONI files once: the second import adds nothing', async () => {
    const files = [fixture('ooni-api-measurements.json'), fixture('ooni-raw.jsonl')]
    const first = await vigil('import', 'ooni', ...files)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain('7 measurements read, 7 new')
    expect(first.stdout).toContain('verdicts: 2 ok, 5 anomaly, 0 down, 0 unknown')
    const again = await vigil('import', 'ooni', ...files)
    expect(again.stdout).toContain('7 measurements read, 0 new, 7 already stored')
    expect(await count('measurements', "source = 'ooni'")).toBe(7)
    expect(await count('vantages', "id like 'ooni-%'")).toBe(3)
    const row = await withStore(
      async (sql) =>
        (
          await sql`select target_id, ok, failure, details from measurements where failure = 'ssl_unknown_authority'`
        )[0]!,
    )
    expect(row.target_id).toBe('ooni/www.facebook.com')
    expect(row.details.ooni.keys.http_experiment_failure).toBe('ssl_unknown_authority')
  })

  it('with --strict, rejects an import with a malformed record whole, naming file and line', async () => {
    const before = await count('measurements', "source = 'ooni'")
    const result = await vigil(
      'import',
      'ooni',
      '--strict',
      fixture('ooni-raw.jsonl'),
      fixture('ooni-malformed.jsonl'),
    )
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('ooni-malformed.jsonl: line 3: probe_asn must look like AS9198')
    expect(result.stderr).toContain('nothing stored')
    expect(await count('measurements', "source = 'ooni'")).toBe(before)
  })

  it('without --strict, stores the good records of a partly malformed file and reports the rest', async () => {
    const before = await count('measurements', "source = 'ooni'")
    const result = await vigil('import', 'ooni', fixture('ooni-malformed.jsonl'))
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('2 measurements read, 2 new')
    expect(result.stdout).toContain('malformed: 1 records left out, 0 files unreadable')
    expect(result.stderr).toContain(
      'ooni-malformed.jsonl: line 3: probe_asn must look like AS9198 (left out)',
    )
    expect(await count('measurements', "source = 'ooni'")).toBe(before + 2)
    const again = await vigil('import', 'ooni', fixture('ooni-malformed.jsonl'))
    expect(again.stdout).toContain('2 measurements read, 0 new')
  })

  it('imports IODA signals, alerts and events once', async () => {
    const files = [fixture('ioda-signals-raw.json'), fixture('ioda-alerts.json'), fixture('ioda-events.json')]
    const first = await vigil('import', 'ioda', ...files)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain('24 signal points read, 24 new; 3 alerts and events read, 3 new')
    const again = await vigil('import', 'ioda', ...files)
    expect(again.stdout).toContain('24 signal points read, 0 new; 3 alerts and events read, 0 new')
    const strict = await vigil('import', 'ioda', '--strict', fixture('ioda-malformed.json'))
    expect(strict.code).toBe(1)
    expect(strict.stderr).toContain('data[0][1].values[1]: must be a number')
    expect(await count('observatory_signals')).toBe(24)
    const partial = await vigil('import', 'ioda', fixture('ioda-malformed.json'))
    expect(partial.code, partial.stderr).toBe(0)
    // Its good points are points of the first file: read, and already stored.
    expect(partial.stdout).toContain('3 signal points read, 0 new')
    expect(partial.stdout).toContain('malformed: 1 records left out')
    expect(partial.stderr).toContain('ioda-malformed.json: data[0][1].values[1]: must be a number')
    expect(await count('observatory_signals')).toBe(24)
    expect(await count('observatory_events')).toBe(3)
    const notJson = await vigil('import', 'ioda', fixture('ooni-raw.jsonl'))
    expect(notJson.code).toBe(1)
    expect(notJson.stderr).toContain('IODA answers are one JSON document')
  })

  it('imports a file mixing good, unknown and malformed records, counting each', async () => {
    const result = await vigil('import', 'ooni', fixture('ooni-mixed.jsonl'))
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('5 measurements read, 5 new')
    expect(result.stdout).toContain('verdicts: 2 ok, 2 anomaly, 0 down, 1 unknown (ndt 1)')
    expect(result.stdout).toContain('malformed: 3 records left out, 0 files unreadable')
    expect(result.stderr).toContain('ooni-mixed.jsonl: line 2: not JSON')
    expect(result.stderr).toContain('ooni-mixed.jsonl: line 3: probe_asn must look like AS9198')
    expect(result.stderr).toContain('ooni-mixed.jsonl: line 7: test_keys must be an object')
    const ndt = await withStore(
      async (sql) => (await sql`select ok, failure, details from measurements where kind = 'ndt'`)[0]!,
    )
    expect(ndt.ok).toBe(false)
    expect(ndt.failure).toBe('unknown')
    expect(ndt.details.ooni).toMatchObject({ verdict: 'unknown', keys: { failure: null } })
  })

  it('reads gzip-compressed JSON Lines, as OONI publishes raw measurements', async () => {
    const gz = path.join(outDir, 'ooni-raw.jsonl.gz')
    writeFileSync(gz, gzipSync(readFileSync(fixture('ooni-raw.jsonl'))))
    const result = await vigil('import', 'ooni', gz)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('4 measurements read')
    const plain = await vigil('import', 'ooni', fixture('ooni-raw.jsonl'))
    // The same measurements as in the plain file: read, and already stored.
    expect(plain.stdout).toContain('4 measurements read, 0 new, 4 already stored')
    expect((await vigil('import', 'ooni', path.join(outDir, 'missing.json'))).code).toBe(1)
    const allBad = path.join(outDir, 'all-bad.jsonl')
    writeFileSync(allBad, '{"test_name": "telegram"}\n{"probe_cc": "KZ"}\n')
    const bad = await vigil('import', 'ooni', allBad)
    expect(bad.code).toBe(1)
    expect(bad.stdout).toContain('malformed: 2 records left out')
  })

  it('explains its usage when the kind or the files are missing', async () => {
    expect((await vigil('import', 'ripe', 'x.json')).code).toBe(2)
    expect((await vigil('import', 'ooni')).code).toBe(2)
  })
})

describe('vigil report and export over a simulated rally day', () => {
  beforeAll(async () => {
    await withStore((sql) => simulateRallyDay(sql))
  }, 120_000)

  it('writes the rally report of one city with progress on stderr', async () => {
    const out = path.join(outDir, 'almaty.md')
    const result = await vigil('report', 'rally', '--date', '2019-07-06', '--city', 'Алматы', '--out', out)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toContain('report: baseline day 7/7')
    const markdown = readFileSync(out, 'utf8')
    expect(markdown).toContain(
      '- Almaty: connectivity dropped at 10:00 UTC+6 (04:00 UTC), at the announced 10:00; down for 2 h 0 min',
    )
    expect(markdown).toContain('2 detention reports, 100 detained (azattyq, vlast)')
    expect(markdown).not.toContain('## Nur-Sultan')
  })

  it('prints HTML, JSON and CSV to stdout and refuses bad requests', async () => {
    const html = await vigil('report', 'rally', '--date', '2019-07-06', '--format', 'html')
    expect(html.stdout).toContain('<svg')
    const json = JSON.parse(
      (await vigil('report', 'rally', '--date', '2019-07-06', '--format', 'json', '--resolution', '1m'))
        .stdout,
    )
    expect(json.resolutionMinutes).toBe(1)
    expect(
      json.cities.find((city: { city: string }) => city.city === 'Nur-Sultan').drop.durationMinutes,
    ).toBe(150)
    const csv = await vigil('report', 'rally', '--date', '2019-07-06', '--format', 'csv')
    expect(csv.stdout.split('\n')[0]).toMatch(/^record,city,start_utc/)
    expect((await vigil('report', 'rally', '--date', '2019-13-45')).code).toBe(2)
    expect((await vigil('report', 'rally', '--date', '2019-07-06', '--city', 'Paris')).stderr).toContain(
      'no region called "Paris"',
    )
    expect((await vigil('report', 'rally', '--date', '2019-07-06', '--format', 'pdf')).code).toBe(2)
  })

  it('exports the measurements and incidents of a range as CSV, oldest first', async () => {
    const out = path.join(outDir, 'measurements.csv')
    const result = await vigil(
      'export',
      'measurements',
      '--from',
      '2019-07-06T04:00:00Z',
      '--to',
      '2019-07-06T05:00:00Z',
      '--out',
      out,
    )
    expect(result.code, result.stderr).toBe(0)
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n')
    expect(lines[0]).toBe(
      'id,measured_at,received_at,vantage,target,kind,region,asn,ok,failure,duration_ms,source,details',
    )
    // Every two minutes: 30 slots of three cities times four in-country and two outside-in targets; the
    // OONI imports of that hour come on top.
    const simulated = lines.slice(1).filter((line) => line.includes(',sim-'))
    expect(simulated).toHaveLength(540)
    expect(simulated[0]).toContain('2019-07-06T04:00:00.000Z')
    expect(result.stderr).toMatch(/exported \d+ measurements/)
    const incidents = await vigil(
      'export',
      'incidents',
      '--from',
      '2019-07-06T00:00:00Z',
      '--to',
      '2019-07-07T00:00:00Z',
    )
    const rows = incidents.stdout.trimEnd().split('\n')
    expect(rows).toHaveLength(4)
    expect(rows[1]).toContain('blackout,region,Nur-Sultan')
    expect((await vigil('export', 'measurements', '--from', 'yesterday')).code).toBe(2)
  })
})
