// The dns probe against DNS servers on loopback (node dgram): every response code a resolver can give, a
// resolver that never answers, and tampering detected by comparing with a control resolver.
import { type DnsTarget, runProbe } from '@vigil/probes'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type DnsTable, startDnsServer } from './fixtures/dns-server.js'
import { Loopback } from './fixtures/loopback.js'

const loopback = new Loopback()
beforeEach(() => loopback.markBaseline())
afterEach(() => loopback.closeAll())
afterAll(() => loopback.closeAll())

const PUBLIC = '93.184.216.34'
const BLOCK_PAGE = '95.59.170.10'

// The resolver under test, as an in-country ISP resolver that censors would answer.
const censored: DnsTable = (name, type) => {
  switch (name) {
    case 'nx.example':
      return { rcode: 'NXDOMAIN' }
    case 'fail.example':
      return { rcode: 'SERVFAIL' }
    case 'refused.example':
      return { rcode: 'REFUSED' }
    case 'empty.example':
      return { rcode: 'NOERROR' }
    case 'silent.example':
      return null
    case 'blocked.example':
      return { rcode: 'NOERROR', a: ['10.10.34.35'] }
    case 'intranet.example':
      return { rcode: 'NOERROR', a: ['10.0.0.5'] }
    case 'notice.example':
      return { rcode: 'NOERROR', a: [BLOCK_PAGE] }
    default:
      return type === 'A' ? { rcode: 'NOERROR', a: [PUBLIC] } : { rcode: 'NOERROR' }
  }
}

// The control resolver abroad: the truth.
const control: DnsTable = (name) => {
  if (name === 'intranet.example') return { rcode: 'NOERROR', a: ['10.0.0.5'] }
  if (name === 'nx.example') return { rcode: 'NXDOMAIN' }
  return { rcode: 'NOERROR', a: [PUBLIC] }
}

async function target(host: string, extra: Partial<DnsTarget> = {}): Promise<DnsTarget> {
  return {
    kind: 'dns',
    name: `dns:${host}`,
    host,
    resolver: await startDnsServer(loopback, censored),
    ...extra,
  }
}

describe('dns probe', () => {
  it('resolves A and AAAA and reports rcode, answers and lookup time', async () => {
    const result = await runProbe(await target('ok.example'), { timeoutMs: 2000 })
    expect(result).toMatchObject({ target: 'dns:ok.example', kind: 'dns', ok: true, failure: null })
    expect(result.details).toMatchObject({
      rcode: 'NOERROR',
      answers: [PUBLIC],
      tampering: false,
      bogons: [],
    })
    expect(result.details.lookupMs).toBeGreaterThan(0)
    expect(result.details.queries.map((query) => [query.type, query.rcode, query.failure])).toEqual([
      ['A', 'NOERROR', null],
      ['AAAA', 'NOERROR', 'dns_no_answer'],
    ])
  })

  it('reports NXDOMAIN as dns_nxdomain_error', async () => {
    const result = await runProbe(await target('nx.example'), { timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: false, failure: 'dns_nxdomain_error' })
    expect(result.details.rcode).toBe('NXDOMAIN')
  })

  it('reports SERVFAIL as dns_server_failure', async () => {
    const result = await runProbe(await target('fail.example'), { timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: false, failure: 'dns_server_failure' })
    expect(result.details.rcode).toBe('SERVFAIL')
  })

  it('reports REFUSED as dns_server_failure with its rcode', async () => {
    const result = await runProbe(await target('refused.example'), { timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: false, failure: 'dns_server_failure' })
    expect(result.details.rcode).toBe('REFUSED')
  })

  it('reports an empty answer as dns_no_answer', async () => {
    const result = await runProbe(await target('empty.example'), { timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: false, failure: 'dns_no_answer' })
    expect(result.details).toMatchObject({ rcode: 'NOERROR', answers: [] })
  })

  it('times out on a resolver that never answers', async () => {
    const result = await runProbe(await target('silent.example'), { timeoutMs: 300 })
    expect(result).toMatchObject({ ok: false, failure: 'generic_timeout_error' })
    expect(result.durationMs).toBeLessThan(700)
  })

  it('flags a bogon answer the control resolver does not give as dns_tampering', async () => {
    const controlResolver = await startDnsServer(loopback, control)
    const result = await runProbe(await target('blocked.example', { controlResolver }), { timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: false, failure: 'dns_tampering' })
    expect(result.details).toMatchObject({
      answers: ['10.10.34.35'],
      bogons: ['10.10.34.35'],
      tampering: true,
      control: { resolver: controlResolver, rcode: 'NOERROR', answers: [PUBLIC], failure: null },
    })
  })

  it('does not flag a private answer the control resolver agrees with', async () => {
    const controlResolver = await startDnsServer(loopback, control)
    const result = await runProbe(await target('intranet.example', { controlResolver }), { timeoutMs: 2000 })
    expect(result).toMatchObject({ ok: true, failure: null })
    expect(result.details).toMatchObject({ bogons: ['10.0.0.5'], tampering: false })
  })

  it('flags a configured block-page address without a control', async () => {
    const result = await runProbe(await target('notice.example', { blockPageAddresses: [BLOCK_PAGE] }), {
      timeoutMs: 2000,
    })
    expect(result).toMatchObject({ ok: false, failure: 'dns_tampering' })
  })

  it('asks only the configured record types', async () => {
    const result = await runProbe(await target('ok.example', { recordTypes: ['A'] }), { timeoutMs: 2000 })
    expect(result.details.queries.map((query) => query.type)).toEqual(['A'])
  })

  it('reports a resolver port with nothing behind it without hanging', async () => {
    const port = await loopback.refusedPort()
    const result = await runProbe(
      { kind: 'dns', name: 'dead', host: 'ok.example', resolver: `127.0.0.1:${port}` },
      { timeoutMs: 500 },
    )
    expect(result.ok).toBe(false)
    expect(['connection_refused', 'generic_timeout_error']).toContain(result.failure)
  })
})
