// Vantage liveness exported at scrape time: last seen, spool backlog, clock skew, up, and the silence
// threshold that decides up.
import { buildApp } from '@vigil/api'
import { createMetricsRegistry } from '@vigil/metrics'
import { recordHeartbeat, upsertVantage } from '@vigil/store'
import { openTestStore } from '@vigil/store/testing'
import { expect, it } from 'vitest'
import { injectWithKey } from './support.js'

it('exports every vantage with its last heartbeat, backlog and skew', async () => {
  const store = await openTestStore()
  const app = await buildApp({
    store,
    registry: createMetricsRegistry({ version: 't', defaultMetrics: false }),
    version: 't',
    silenceAfterMs: 300_000,
  })
  try {
    await upsertVantage(store.sql, {
      id: 'kz-uralsk-1',
      country: 'KZ',
      region: 'Uralsk',
      asn: 9198,
      network: null,
      role: 'in_country',
    })
    await upsertVantage(store.sql, {
      id: 'kz-aktau-1',
      country: 'KZ',
      region: 'Aktau',
      asn: null,
      network: null,
      role: 'in_country',
    })
    const receivedAt = new Date()
    await recordHeartbeat(store.sql, {
      vantageId: 'kz-uralsk-1',
      receivedAt,
      agentTime: new Date(receivedAt.getTime() + 42_000),
      spoolBacklog: 1234,
      agentVersion: '0.1.0',
    })
    const text = (await (await injectWithKey(app, store.sql, 'read'))('/metrics')).body
    const labels = 'vantage="kz-uralsk-1",region="Uralsk",role="in_country"'
    expect(text).toContain(
      `vigil_vantage_last_seen_timestamp_seconds{${labels}} ${receivedAt.getTime() / 1000}`,
    )
    expect(text).toContain(`vigil_vantage_spool_backlog{${labels}} 1234`)
    expect(text).toContain(`vigil_vantage_clock_skew_seconds{${labels}} 42`)
    expect(text).toContain(`vigil_vantage_up{${labels}} 1`)
    expect(text).toContain('vigil_vantage_up{vantage="kz-aktau-1",region="Aktau",role="in_country"} 0')
    expect(text).not.toContain('vigil_vantage_last_seen_timestamp_seconds{vantage="kz-aktau-1"')
    expect(text).toMatch(/^vigil_vantage_silence_threshold_seconds 300$/m)
  } finally {
    await app.close()
    await store.close()
  }
})
