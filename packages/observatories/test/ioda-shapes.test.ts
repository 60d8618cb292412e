// Every answer shape IODA's API documents (CAIDA/ioda-api: signals/raw with scalar and per-bucket
// aggregate values, outages/alerts, outages/events in the default and the `format=ioda` layout), written
// after its documentation; and a file mixing good and malformed records.
import { parseIodaFile } from '@vigil/observatories'
import { describe, expect, it } from 'vitest'

const FROM = 1_560_038_400 // 2019-06-09T00:00:00Z
const envelope = (type: string, data: unknown[]) =>
  JSON.stringify({
    type,
    metadata: { requestTime: '2019-06-10T00:00:00', responseTime: '2019-06-10T00:00:01' },
    requestParameters: {
      entityType: 'country',
      entityCode: 'KZ',
      from: String(FROM),
      until: String(FROM + 3600),
    },
    error: null,
    perf: null,
    data,
    copyright: 'IODA',
  })

const series = (
  datasource: string,
  step: number,
  values: unknown[],
  extra: Record<string, unknown> = {},
) => ({
  entityType: 'country',
  entityCode: 'KZ',
  entityName: 'Kazakhstan',
  entityFqid: 'asia.KZ',
  datasource,
  subtype: '',
  from: FROM,
  until: FROM + step * values.length,
  step,
  nativeStep: step,
  values,
  ...extra,
})

describe('signals', () => {
  it('reads scalar series, one list per entity, gaps as null', () => {
    const file = parseIodaFile(
      envelope('signals', [
        [series('bgp', 300, [1480, 1481, null, 900]), series('merit-nt', 60, [88, 40])],
        [
          series('ping-slash24', 600, [5200, 2100], {
            entityType: 'asn',
            entityCode: '9198',
            entityName: 'KazakhTelecom',
          }),
        ],
      ]),
    )
    expect(file.rejected).toEqual([])
    expect(file.points).toHaveLength(8)
    const gap = file.points[2]!
    expect(gap).toMatchObject({ datasource: 'bgp', metric: '', subtype: '', value: null, step: 300 })
    expect(gap.at.toISOString()).toBe('2019-06-09T00:10:00.000Z')
    expect(file.points[7]).toMatchObject({ entityType: 'asn', entityCode: '9198', value: 2100 })
  })

  it('reads per-bucket aggregates (loss, latency, SARIMA predictions) as one point per aggregate', () => {
    const bucket = (aggregates: Record<string, number | null>) => [{ agg_values: aggregates }]
    const file = parseIodaFile(
      envelope('signals', [
        [
          series('ping-slash24-loss', 600, [
            bucket({ loss_pct: 1.5, probe_count: 5200 }),
            bucket({ loss_pct: 55, probe_count: 2100 }),
            [],
          ]),
          series('ping-slash24-latency', 600, [
            [
              { team: 'w', agg_values: { median_latency: 61.2 } },
              { team: 'e', agg_values: { median_latency: 180.4 } },
            ],
          ]),
          series('gtr-sarima', 3600, [{ agg_values: { value: 120, predicted: 118.5, upper: null } }], {
            subtype: 'WEB_SEARCH',
          }),
        ],
      ]),
    )
    expect(file.rejected).toEqual([])
    expect(file.points.map((point) => [point.datasource, point.subtype, point.metric, point.value])).toEqual([
      ['ping-slash24-loss', '', 'loss_pct', 1.5],
      ['ping-slash24-loss', '', 'probe_count', 5200],
      ['ping-slash24-loss', '', 'loss_pct', 55],
      ['ping-slash24-loss', '', 'probe_count', 2100],
      ['ping-slash24-latency', '', 'team=w.median_latency', 61.2],
      ['ping-slash24-latency', '', 'team=e.median_latency', 180.4],
      ['gtr-sarima', 'WEB_SEARCH', 'value', 120],
      ['gtr-sarima', 'WEB_SEARCH', 'predicted', 118.5],
      ['gtr-sarima', 'WEB_SEARCH', 'upper', null],
    ])
    expect(file.points[2]!.at.toISOString()).toBe('2019-06-09T00:10:00.000Z')
  })

  it('reads an empty window (data: [[]]) as nothing, not as an error', () => {
    expect(parseIodaFile(envelope('signals', [[]]))).toEqual({
      points: [],
      events: [],
      rejected: [],
      skipped: {},
    })
  })
})

describe('outages', () => {
  const entity = { code: 'KZ', name: 'Kazakhstan', type: 'country', attrs: { fqid: 'asia.KZ' } }
  const alert = (time: number, level: string) => ({
    datasource: 'bgp',
    entity,
    time,
    level,
    condition: '< 0.8',
    value: 900,
    historyValue: 1480,
  })

  it('reads alerts', () => {
    const { events } = parseIodaFile(
      envelope('outages.alerts', [alert(FROM + 1200, 'critical'), alert(FROM + 3000, 'normal')]),
    )
    expect(
      events.map((event) => [event.kind, event.level, event.datasource, event.startedAt.toISOString()]),
    ).toEqual([
      ['alert', 'critical', 'bgp', '2019-06-09T00:20:00.000Z'],
      ['alert', 'normal', 'bgp', '2019-06-09T00:50:00.000Z'],
    ])
    expect(events[0]!.details).toEqual({ condition: '< 0.8', value: 900, historyValue: 1480 })
  })

  it('reads events in the default (codf) layout', () => {
    const { events } = parseIodaFile(
      envelope('outages.events', [
        {
          location: 'asn/9198',
          start: FROM + 1200,
          duration: 1800,
          uncertainty: null,
          status: 0,
          fraction: null,
          score: 1203.5,
          location_name: 'KazakhTelecom',
          overlaps_window: false,
        },
      ]),
    )
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ kind: 'event', entityType: 'asn', entityCode: '9198', score: 1203.5 })
    expect(events[0]!.endedAt!.getTime() - events[0]!.startedAt.getTime()).toBe(1_800_000)
  })

  it('reads events in the format=ioda layout, with their alerts, and an ongoing one without until', () => {
    const { events, rejected } = parseIodaFile(
      envelope('outages.events', [
        {
          entity,
          from: FROM + 1200,
          until: FROM + 3000,
          score: 4213.5,
          datasource: 'overall',
          alerts: [alert(FROM + 1200, 'critical'), alert(FROM + 3000, 'normal')],
        },
        {
          entity: { ...entity, type: 'region', code: '1473', name: 'Almaty' },
          from: FROM + 2400,
          score: 80.1,
          datasource: 'ping-slash24',
        },
      ]),
    )
    expect(rejected).toEqual([])
    expect(
      events.map((event) => [
        event.kind,
        event.entityType,
        event.entityCode,
        event.datasource,
        event.endedAt?.toISOString() ?? null,
      ]),
    ).toEqual([
      ['event', 'country', 'KZ', 'overall', '2019-06-09T00:50:00.000Z'],
      ['alert', 'country', 'KZ', 'bgp', null],
      ['alert', 'country', 'KZ', 'bgp', null],
      ['event', 'region', '1473', 'ping-slash24', null],
    ])
  })

  it('notes outage summaries as a documented shape it does not store', () => {
    const file = parseIodaFile(
      envelope('outages.summary', [{ entity, scores: { overall: 5200.1, bgp: 300 }, event_cnt: 3 }]),
    )
    expect(file).toMatchObject({ points: [], events: [], rejected: [], skipped: { 'outage summary': 1 } })
  })
})

describe('a file mixing good and malformed records', () => {
  it('keeps every good record and names each bad one by its JSON path', () => {
    const file = parseIodaFile(
      envelope('signals', [
        [
          series('bgp', 300, [1480, 'many', 1479, true]),
          series('ping-slash24', 600, [5200, 5180], { step: 0 }),
          series('ping-slash24-loss', 600, [
            [{ agg_values: { loss_pct: 'high' } }],
            [{ loss: 3 }],
            [{ agg_values: { loss_pct: 4 } }],
          ]),
          series('merit-nt', 60, [88, 90], { entityCode: '' }),
          'not a series',
          series('ucsd-nt', 60, [1, 2, 3, 4, 5], { until: FROM + 60 }),
        ],
        { entity: { type: 'country', code: 'KZ' }, datasource: 'bgp', level: 'critical' },
        { entity: { type: 'country', code: 'KZ' }, datasource: 'bgp', time: FROM, level: 'critical' },
        { entity: { type: 'country', code: 'KZ' }, until: FROM + 60, score: 3 },
        { location: 'country/KZ', start: FROM, duration: -5 },
        42,
      ]),
    )
    expect(file.points.map((point) => [point.datasource, point.metric, point.value])).toEqual([
      ['bgp', '', 1480],
      ['bgp', '', 1479],
      ['ping-slash24-loss', 'loss_pct', 4],
    ])
    expect(file.events).toHaveLength(1)
    expect(file.rejected.map((record) => record.at)).toEqual([
      'data[0][0].values[1]',
      'data[0][0].values[3]',
      'data[0][1].step',
      'data[0][2].values[0][0].agg_values.loss_pct',
      'data[0][2].values[1][0]',
      'data[0][3].entityCode',
      'data[0][4]',
      'data[0][5].values',
      'data[1]',
      'data[3].from',
      'data[4].duration',
      'data[5]',
    ])
  })
})
