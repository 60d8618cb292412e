// The prober against real loopback servers: results stored as measurements, exported blackbox-style,
// rounds that never overlap, and a cadence that follows the rally calendar without a restart.
import { createMetricsRegistry } from '@vigil/metrics'
import { createProber } from '@vigil/prober'
import { BufferedWriter, insertMeasurements, type NewMeasurement, queryMeasurements } from '@vigil/store'
import { openTestStore, type TestStore } from '@vigil/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerConfiguredTargets } from '../../vigil/src/register.js'
import { type Loopback, loopbackConfig, serve } from './support.js'

let store: TestStore
let news: Loopback
let blocked: Loopback
let hanging: Loopback
let refusedPort: number

beforeAll(async () => {
  store = await openTestStore()
  news = await serve(() => ({ status: 200, body: '<title>Новости</title><p>all fine</p>' }))
  blocked = await serve(() => ({
    status: 200,
    body: '<title>Блокировка</title><p>Доступ к ресурсу ограничен</p>',
  }))
  hanging = await serve(() => null)
  const closed = await serve(() => null)
  refusedPort = closed.port
  await closed.close()
})

afterAll(async () => {
  await Promise.all([news.close(), blocked.close(), hanging.close()])
  await store.close()
})

describe('the prober', () => {
  it('stores one measurement per target and kind, with OONI failures, and exports blackbox metrics', async () => {
    const config = loopbackConfig([
      {
        name: 'social',
        targets: [
          { name: 'news', port: news.port },
          { name: 'blocked', port: blocked.port },
          { name: 'refused', port: refusedPort },
          { name: 'hanging', port: hanging.port },
        ],
        timeout: '1s',
      },
    ])
    await registerConfiguredTargets(store.sql, config)
    const registry = createMetricsRegistry({ version: 'test', defaultMetrics: false })
    const writer = new BufferedWriter<NewMeasurement>({
      write: async (batch) => {
        await insertMeasurements(store.sql, batch)
      },
    })
    const prober = createProber({ config, record: (m) => writer.add(m), registry })
    const started = Date.now()
    const observations = await prober.runOnce()
    expect(Date.now() - started).toBeLessThan(5_000)
    await writer.close()

    const byTarget = Object.fromEntries(observations.map((o) => [o.result.target, o.result]))
    expect(byTarget.news).toMatchObject({ ok: true, failure: null })
    expect(byTarget.blocked).toMatchObject({ ok: false, failure: 'http_blockpage' })
    expect(byTarget.refused).toMatchObject({ ok: false, failure: 'connection_refused' })
    expect(byTarget.hanging).toMatchObject({ ok: false, failure: 'generic_timeout_error' })

    const stored = await queryMeasurements(store.sql, { vantage: 'test-almaty', limit: 100 })
    expect(stored).toHaveLength(4)
    const blockedRow = stored.find((row) => row.targetId === 'blocked')!
    expect(blockedRow).toMatchObject({
      kind: 'http',
      region: 'Almaty',
      asn: 9198,
      ok: false,
      failure: 'http_blockpage',
    })
    expect(blockedRow.details).toMatchObject({
      statusCode: 200,
      blockPage: 'access-restricted-ru',
      title: 'Блокировка',
    })

    const text = await registry.metrics()
    const labels = (target: string) => `target="${target}",kind="http",vantage="test-almaty",region="Almaty"`
    expect(text).toContain(`probe_success{${labels('news')}} 1`)
    expect(text).toContain(`probe_success{${labels('blocked')}} 0`)
    expect(text).toContain(`probe_http_status_code{${labels('news')}} 200`)
    expect(text).toMatch(
      new RegExp(`probe_http_duration_seconds\\{${labels('news')},phase="processing"\\} \\d`),
    )
    expect(text).toContain('vigil_probe_failures_total{kind="http",reason="connection_refused"} 1')
    expect(text).toContain('vigil_probe_failures_total{kind="http",reason="http_blockpage"} 1')
    expect(text).toContain('vigil_probe_rounds_total{group="social"} 1')
  })

  it('never starts a round while the previous one of the group runs; a hanging target delays no other group', async () => {
    const config = loopbackConfig([
      {
        name: 'slow',
        interval: '5s',
        rallyInterval: '5s',
        timeout: '3s',
        targets: [{ name: 'hanging', port: hanging.port }],
      },
      {
        name: 'fast',
        interval: '5s',
        rallyInterval: '5s',
        timeout: '1s',
        targets: [{ name: 'news', port: news.port }],
      },
    ])
    const registry = createMetricsRegistry({ version: 'test', defaultMetrics: false })
    let clock = Date.parse('2019-08-01T00:00:00Z')
    const seen: string[] = []
    const prober = createProber({
      config,
      record: (m) => seen.push(m.targetId),
      registry,
      now: () => new Date(clock),
    })
    prober.tick()
    await new Promise((resolve) => setTimeout(resolve, 300))
    clock += 5_000
    prober.tick() // slow is still hanging: only fast runs again
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(seen.filter((t) => t === 'news')).toHaveLength(2)
    expect(seen.filter((t) => t === 'hanging')).toHaveLength(0)
    // Stopping interrupts the hanging probe; an interrupted probe is not a measurement of the network.
    await prober.stop()
    expect(seen.filter((t) => t === 'hanging')).toHaveLength(0)
    expect(await registry.metrics()).toContain('vigil_probe_rounds_skipped_total{group="slow"} 1')
  })

  it('speeds up when a rally window opens, without a restart', async () => {
    const config = loopbackConfig(
      [
        {
          name: 'social',
          interval: '5m',
          rallyInterval: '30s',
          targets: [{ name: 'news', port: news.port }],
        },
      ],
      [
        'rallies:',
        '  - name: July rally',
        '    city: Almaty',
        "    start: '2019-07-06T10:00:00'",
        "    end: '2019-07-06T14:00:00'",
        '    leadHours: 2',
      ].join('\n'),
    )
    let clock = Date.parse('2019-07-06T01:58:00Z')
    const rounds: number[] = []
    const registry = createMetricsRegistry({ version: 'test', defaultMetrics: false })
    const prober = createProber({
      config,
      record: () => rounds.push(clock),
      registry,
      now: () => new Date(clock),
    })
    const settle = () => new Promise((resolve) => setTimeout(resolve, 100))
    // Every 30 s from 01:58 to 02:03: outside the window only the first tick is due (5-minute cadence);
    // from 02:00 on (the window opens two hours before 10:00 local, UTC+6) every 30 s.
    for (let step = 0; step <= 10; step++) {
      prober.tick()
      await settle()
      clock += 30_000
    }
    await prober.stop()
    const minutes = rounds.map((at) => new Date(at).toISOString().slice(11, 19))
    expect(minutes).toEqual([
      '01:58:00',
      '02:00:00',
      '02:00:30',
      '02:01:00',
      '02:01:30',
      '02:02:00',
      '02:02:30',
      '02:03:00',
    ])
    const text = await registry.metrics()
    expect(text).toContain('vigil_probe_interval_seconds{group="social"} 30')
    expect(text).toContain('vigil_rally_window_active{region="Almaty"} 1')
    expect(text).toContain('vigil_rally_window_active{region="Aktau"} 0')
    expect(text).toContain(
      'vigil_target_info{target="news",group="social",purpose="service",region="Almaty",network_type="unknown"} 1',
    )
  })
})
