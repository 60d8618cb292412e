// Every OONI test Vigil reads, from raw measurements written after the test specifications
// (ooni/spec nettests/ts-*.md): what each test's own keys say becomes ok, an anomaly with OONI's failure
// string (or the key that found the blocking), or unknown. A test or a shape Vigil does not know is never ok.
import { type OoniMeasurement, parseOoniFile } from '@vigil/observatories'
import { describe, expect, it } from 'vitest'

let serial = 0

/** One raw measurement in the df-000-base layout with the given test_keys, as a JSONL line. */
function raw(
  testName: string,
  testKeys: unknown,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  serial += 1
  return {
    annotations: { platform: 'linux' },
    data_format_version: '0.2.0',
    input: null,
    measurement_start_time: '2019-06-09 07:05:12',
    probe_asn: 'AS9198',
    probe_cc: 'KZ',
    probe_ip: '127.0.0.1',
    report_id: `20190609T070512Z_${testName}_KZ_9198_n1_${String(serial).padStart(16, 'x')}`,
    software_name: 'ooniprobe-cli',
    software_version: '3.10.0',
    test_name: testName,
    test_runtime: 3.5,
    test_version: '0.1.0',
    test_keys: testKeys,
    ...extra,
  }
}

function read(...measurements: Record<string, unknown>[]): OoniMeasurement[] {
  const { records, rejected } = parseOoniFile(
    measurements.map((measurement) => JSON.stringify(measurement)).join('\n'),
  )
  expect(rejected).toEqual([])
  return records
}

const verdicts = (records: OoniMeasurement[]) =>
  records.map((record) => [record.verdict, record.measurement.ok, record.measurement.failure])

describe('messaging apps', () => {
  it('telegram (ts-020): TCP, HTTP and web checks; blocked if any is', () => {
    const records = read(
      raw('telegram', {
        telegram_tcp_blocking: false,
        telegram_http_blocking: false,
        telegram_web_status: 'ok',
        telegram_web_failure: null,
      }),
      raw('telegram', {
        telegram_tcp_blocking: true,
        telegram_http_blocking: true,
        telegram_web_status: 'ok',
        telegram_web_failure: null,
        tcp_connect: [
          { ip: '149.154.175.50', port: 443, status: { success: false, failure: 'connection_reset' } },
        ],
      }),
      raw('telegram', {
        telegram_tcp_blocking: false,
        telegram_http_blocking: false,
        telegram_web_status: 'blocked',
        telegram_web_failure: 'ssl_invalid_hostname',
      }),
      raw('telegram', {
        telegram_tcp_blocking: false,
        telegram_http_blocking: true,
        telegram_web_status: 'ok',
      }),
      // web status null: the web check did not run, so the test did not show Telegram working.
      raw('telegram', {
        telegram_tcp_blocking: false,
        telegram_http_blocking: false,
        telegram_web_status: null,
      }),
    )
    expect(verdicts(records)).toEqual([
      ['ok', true, null],
      ['anomaly', false, 'connection_reset'],
      ['anomaly', false, 'ssl_invalid_hostname'],
      ['anomaly', false, 'telegram_http_blocking'],
      ['unknown', false, 'unknown'],
    ])
    expect(records[4]!.measurement.details).toMatchObject({
      ooni: { verdict: 'unknown', reason: expect.stringContaining('telegram_web_status') },
    })
  })

  it('whatsapp (ts-018): endpoints, registration server and web', () => {
    const allOk = {
      whatsapp_endpoints_status: 'ok',
      whatsapp_endpoints_blocked: [],
      registration_server_status: 'ok',
      registration_server_failure: null,
      whatsapp_web_status: 'ok',
      whatsapp_web_failure: null,
    }
    const records = read(
      raw('whatsapp', allOk),
      raw('whatsapp', {
        ...allOk,
        registration_server_status: 'blocked',
        registration_server_failure: 'dns_nxdomain_error',
      }),
      raw('whatsapp', {
        ...allOk,
        whatsapp_endpoints_status: 'blocked',
        whatsapp_endpoints_blocked: ['e1.whatsapp.net'],
        tcp_connect: [
          { ip: '3.33.252.61', port: 5222, status: { success: false, failure: 'generic_timeout_error' } },
        ],
      }),
      raw('whatsapp', { ...allOk, whatsapp_web_status: 'degraded' }),
    )
    expect(verdicts(records)).toEqual([
      ['ok', true, null],
      ['anomaly', false, 'dns_nxdomain_error'],
      ['anomaly', false, 'generic_timeout_error'],
      ['unknown', false, 'unknown'],
    ])
  })

  it('facebook_messenger (ts-019): DNS and TCP blocking flags, in both key spellings', () => {
    const records = read(
      raw('facebook_messenger', { facebook_tcp_blocking: false, facebook_dns_blocking: false }),
      raw('facebook_messenger', {
        facebook_tcp_blocking: false,
        facebook_dns_blocking: true,
        facebook_b_api_dns_consistent: false,
      }),
      // Up to version 0.3.0 the keys had "-" in place of "_".
      raw('facebook_messenger', { 'facebook-tcp-blocking': true, 'facebook-dns-blocking': false }),
      raw('facebook_messenger', { facebook_tcp_blocking: null, facebook_dns_blocking: false }),
    )
    expect(verdicts(records)).toEqual([
      ['ok', true, null],
      ['anomaly', false, 'facebook_dns_blocking'],
      ['anomaly', false, 'facebook_tcp_blocking'],
      ['unknown', false, 'unknown'],
    ])
  })

  it('signal (ts-029): backend status, with the versions the spec calls untrustworthy left unknown', () => {
    const records = read(
      raw('signal', { signal_backend_status: 'ok', signal_backend_failure: null }, { test_version: '0.2.4' }),
      raw(
        'signal',
        { signal_backend_status: 'blocked', signal_backend_failure: 'connection_reset' },
        { test_version: '0.2.4' },
      ),
      // test_version <= 0.2.3 after 2023-11-07 reports false positives.
      raw(
        'signal',
        { signal_backend_status: 'blocked', signal_backend_failure: 'ssl_unknown_authority' },
        { test_version: '0.2.3', measurement_start_time: '2023-12-01 10:00:00' },
      ),
      raw('signal', { signal_backend_status: null, signal_backend_failure: null }),
    )
    expect(verdicts(records)).toEqual([
      ['ok', true, null],
      ['anomaly', false, 'connection_reset'],
      ['unknown', false, 'unknown'],
      ['unknown', false, 'unknown'],
    ])
  })
})

describe('web and middleboxes', () => {
  it('web_connectivity (ts-017): blocking and accessible, with the experiment failures', () => {
    const records = read(
      raw('web_connectivity', { blocking: false, accessible: true }, { input: 'https://example.org/' }),
      raw(
        'web_connectivity',
        { blocking: 'dns', accessible: false, dns_experiment_failure: 'dns_nxdomain_error' },
        { input: 'https://www.instagram.com/' },
      ),
      raw(
        'web_connectivity',
        {
          blocking: 'tcp_ip',
          accessible: false,
          tcp_connect: [
            { ip: '157.240.1.35', port: 443, status: { success: false, failure: 'connection_refused' } },
          ],
        },
        { input: 'https://www.facebook.com/' },
      ),
      raw('web_connectivity', { blocking: 'http-diff', accessible: false }, { input: 'http://rferl.org/' }),
      raw(
        'web_connectivity',
        { blocking: false, accessible: false, http_experiment_failure: 'generic_timeout_error' },
        { input: 'https://down.example/' },
      ),
      raw(
        'web_connectivity',
        { blocking: null, accessible: null, control_failure: 'connection_reset' },
        { input: 'https://example.com/' },
      ),
      raw('web_connectivity', { blocking: 'sni', accessible: false }, { input: 'https://example.net/' }),
    )
    expect(verdicts(records)).toEqual([
      ['ok', true, null],
      ['anomaly', false, 'dns_nxdomain_error'],
      ['anomaly', false, 'connection_refused'],
      ['anomaly', false, 'http-diff'],
      ['down', false, 'generic_timeout_error'],
      ['unknown', false, 'unknown'],
      ['unknown', false, 'unknown'],
    ])
    expect(records[5]!.measurement.details).toMatchObject({
      ooni: { reason: expect.stringContaining('control_failure connection_reset') },
    })
  })

  it('urlgetter (ts-027) and stunreachability (ts-025): the top-level failure', () => {
    const records = read(
      raw('urlgetter', { failure: null, requests: [] }, { input: 'https://example.org/' }),
      raw('urlgetter', { failure: 'eof_error' }, { input: 'https://example.org/' }),
      raw('urlgetter', { requests: [] }, { input: 'https://example.org/' }),
      raw(
        'stunreachability',
        { endpoint: 'stun.l.google.com:19302', failure: null },
        { input: 'stun://stun.l.google.com:19302' },
      ),
      raw(
        'stunreachability',
        { endpoint: 'stun.l.google.com:19302', failure: 'generic_timeout_error' },
        { input: 'stun://stun.l.google.com:19302' },
      ),
    )
    expect(verdicts(records)).toEqual([
      ['ok', true, null],
      ['anomaly', false, 'eof_error'],
      ['unknown', false, 'unknown'],
      ['ok', true, null],
      ['anomaly', false, 'generic_timeout_error'],
    ])
  })

  it('http_header_field_manipulation (ts-006) and http_invalid_request_line (ts-007): tampering', () => {
    const untouched = {
      total: false,
      request_line_capitalization: false,
      header_name_capitalization: false,
      header_field_value: false,
      header_field_number: false,
      header_name_diff: [],
    }
    const records = read(
      raw('http_header_field_manipulation', { tampering: untouched }),
      raw('http_header_field_manipulation', {
        tampering: { ...untouched, header_name_capitalization: true, header_name_diff: ['Host'] },
      }),
      raw('http_header_field_manipulation', {
        tampering: { ...untouched, total: true },
        requests: [{ failure: 'connection_reset', request: {} }],
      }),
      raw('http_header_field_manipulation', { tampering: { total: false } }),
      raw('http_invalid_request_line', { tampering: false, sent: [], received: [] }),
      raw('http_invalid_request_line', { tampering: true, sent: ['GET / HTTP/1.1\n\r'], received: [''] }),
      raw('http_invalid_request_line', { sent: [] }),
    )
    expect(verdicts(records)).toEqual([
      ['ok', true, null],
      ['anomaly', false, 'tampering: header_name_capitalization'],
      ['anomaly', false, 'connection_reset'],
      ['unknown', false, 'unknown'],
      ['ok', true, null],
      ['anomaly', false, 'tampering'],
      ['unknown', false, 'unknown'],
    ])
  })
})

describe('circumvention tools and resolvers', () => {
  it('dnscheck (ts-028): bootstrap and lookups per resolver address', () => {
    const records = read(
      raw(
        'dnscheck',
        {
          domain: 'example.org',
          bootstrap_failure: null,
          lookups: {
            'dot://8.8.8.8:853': { failure: null },
            'dot://[2001:4860:4860::8888]:853': { failure: 'network_unreachable' },
          },
        },
        { input: 'dot://dns.google:853' },
      ),
      raw(
        'dnscheck',
        { domain: 'example.org', bootstrap_failure: 'dns_nxdomain_error', lookups: {} },
        { input: 'dot://dns.google:853' },
      ),
      raw(
        'dnscheck',
        {
          domain: 'example.org',
          bootstrap_failure: null,
          lookups: {
            'dot://8.8.8.8:853': { failure: 'connection_reset' },
            'dot://8.8.4.4:853': { failure: 'connection_reset' },
          },
        },
        { input: 'dot://dns.google:853' },
      ),
      raw(
        'dnscheck',
        { domain: 'example.org', bootstrap_failure: null, lookups: {} },
        { input: 'dot://dns.google:853' },
      ),
    )
    expect(verdicts(records)).toEqual([
      ['ok', true, null],
      ['anomaly', false, 'dns_nxdomain_error'],
      ['anomaly', false, 'connection_reset'],
      ['unknown', false, 'unknown'],
    ])
  })

  it('tor (ts-023): a protocol none of whose targets was reachable is blocked', () => {
    const target = (protocol: string, failure: string | null) => ({
      target_protocol: protocol,
      target_address: '192.0.2.1:443',
      failure,
      summary: {},
    })
    const records = read(
      raw('tor', {
        targets: {
          a: target('obfs4', null),
          b: target('obfs4', 'generic_timeout_error'),
          c: target('or_port_dirauth', null),
        },
      }),
      raw('tor', {
        targets: {
          a: target('obfs4', 'connection_reset'),
          b: target('obfs4', 'generic_timeout_error'),
          c: target('dir_port', null),
        },
      }),
      // A sanitised report with the counters only.
      raw('tor', {
        dir_port_total: 10,
        dir_port_accessible: 0,
        obfs4_total: 0,
        obfs4_accessible: 0,
        targets: {},
      }),
      raw('tor', { targets: {} }),
    )
    expect(verdicts(records)).toEqual([
      ['ok', true, null],
      ['anomaly', false, 'connection_reset'],
      ['anomaly', false, 'tor_dir_port_blocked'],
      ['unknown', false, 'unknown'],
    ])
  })

  it('psiphon (ts-015): bootstrap_time and failure as the spec tabulates them', () => {
    const records = read(
      raw('psiphon', { bootstrap_time: 6.6, failure: null, max_runtime: 60 }),
      raw('psiphon', { bootstrap_time: 0, failure: 'generic_timeout_error', max_runtime: 60 }),
      raw('psiphon', { bootstrap_time: 4.1, failure: 'eof_error', max_runtime: 60 }),
      raw('psiphon', { bootstrap_time: 0, failure: null, max_runtime: 60 }),
    )
    expect(verdicts(records)).toEqual([
      ['ok', true, null],
      ['anomaly', false, 'generic_timeout_error'],
      ['anomaly', false, 'eof_error'],
      ['unknown', false, 'unknown'],
    ])
  })

  it('riseupvpn (ts-026): the current keys and the ones before ooniprobe 3.19', () => {
    const records = read(
      raw('riseupvpn', { api_failures: null, ca_cert_status: true }),
      raw('riseupvpn', { api_failures: ['connection_reset'], ca_cert_status: true }),
      raw('riseupvpn', { api_failures: null, ca_cert_status: false }),
      raw('riseupvpn', {
        api_failure: null,
        api_status: 'ok',
        ca_cert_status: true,
        transport_status: { obfs4: 'ok', openvpn: 'ok' },
        failing_gateways: null,
      }),
      raw('riseupvpn', {
        api_failure: null,
        api_status: 'ok',
        ca_cert_status: true,
        transport_status: { obfs4: 'blocked', openvpn: 'ok' },
        failing_gateways: [{ ip: '192.0.2.1', port: 23042, transport_type: 'obfs4' }],
      }),
      raw('riseupvpn', { api_failure: 'generic_timeout_error', api_status: 'blocked', ca_cert_status: true }),
      raw('riseupvpn', { ca_cert_status: true }),
    )
    expect(verdicts(records)).toEqual([
      ['ok', true, null],
      ['anomaly', false, 'connection_reset'],
      ['anomaly', false, 'invalid_ca'],
      ['ok', true, null],
      ['anomaly', false, 'riseupvpn_obfs4_blocked'],
      ['anomaly', false, 'generic_timeout_error'],
      ['unknown', false, 'unknown'],
    ])
  })
})

describe('what Vigil cannot read', () => {
  it('stores a test without a reader as unknown, keeping its raw top-level verdict keys', () => {
    const records = read(
      raw('ndt', { failure: null, summary: { download: 9000 }, simple: { download: 9.1, upload: 2.2 } }),
      raw('vanilla_tor', {
        success: false,
        error: 'timeout-reached',
        tor_progress: 15,
        tor_log: 'x'.repeat(5_000),
      }),
    )
    expect(verdicts(records)).toEqual([
      ['unknown', false, 'unknown'],
      ['unknown', false, 'unknown'],
    ])
    const details = records[1]!.measurement.details as {
      ooni: { keys: Record<string, unknown>; reason: string }
    }
    expect(details.ooni.reason).toBe('no verdict reader for OONI test "vanilla_tor"')
    expect(details.ooni.keys).toMatchObject({ success: false, error: 'timeout-reached', tor_progress: 15 })
    expect((details.ooni.keys.tor_log as string).length).toBeLessThanOrEqual(200)
  })

  it('reads the measurement list by its flags, a failed measurement as unknown', () => {
    let uid = 0
    const entry = (flags: Record<string, unknown>) => ({
      measurement_uid: `20190609070512.000000_KZ_telegram_${String(++uid).padStart(16, '0')}`,
      report_id: '20190609T070512Z_telegram_KZ_9198_n1_x',
      probe_cc: 'KZ',
      probe_asn: 'AS9198',
      test_name: 'telegram',
      measurement_start_time: '2019-06-09T07:05:12Z',
      input: null,
      scores: {},
      ...flags,
    })
    const records = read(
      entry({ anomaly: false, confirmed: false, failure: false }),
      entry({ anomaly: true, confirmed: false, failure: false }),
      entry({ anomaly: false, confirmed: false, failure: true }),
      entry({}),
    )
    expect(verdicts(records)).toEqual([
      ['ok', true, null],
      ['anomaly', false, 'anomaly'],
      ['unknown', false, 'unknown'],
      ['unknown', false, 'unknown'],
    ])
  })

  it('reads measurement_meta?full=true: the raw measurement as a JSON string, the AS number as an integer', () => {
    const body = raw('signal', {
      signal_backend_status: 'blocked',
      signal_backend_failure: 'connection_reset',
    })
    const [record] = read({
      anomaly: true,
      confirmed: false,
      failure: false,
      input: null,
      measurement_start_time: '2019-06-09T07:05:12Z',
      measurement_uid: '20190609070512.000000_KZ_signal_0123456789abcdef',
      probe_asn: 9198,
      probe_cc: 'KZ',
      report_id: body.report_id,
      scores: '{}',
      test_name: 'signal',
      raw_measurement: JSON.stringify(body),
    })
    expect(record).toMatchObject({ verdict: 'anomaly', shape: 'raw', testName: 'signal' })
    expect(record!.measurement).toMatchObject({
      failure: 'connection_reset',
      asn: 9198,
      idempotencyKey: 'ooni:20190609070512.000000_KZ_signal_0123456789abcdef',
    })
  })

  it('makes failure strings and inputs storable: no NUL, no lone surrogate, bounded', () => {
    const [record] = read(
      raw(
        'urlgetter',
        { failure: `eof_error\u0000${'z'.repeat(500)}\ud800` },
        { input: `https://example.org/\u0000` },
      ),
    )
    expect(record!.measurement.failure).not.toContain('\u0000')
    expect(record!.measurement.failure!.length).toBeLessThanOrEqual(200)
    expect(JSON.stringify(record!.measurement.details)).not.toContain('\\u0000')
  })
})
