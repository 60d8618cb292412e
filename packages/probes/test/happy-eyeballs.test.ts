// Every resolved address, both families, as clients connect since RFC 8305: names served by a private DNS
// server on loopback resolve to ::1 and 127.0.0.1, and servers listen on one family only. A probe fails only
// when every address failed, and its evidence names each address with its OONI failure.

import { spawn } from 'node:child_process'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { connect, createServer as createNetServer } from 'node:net'
import { CONNECTION_ATTEMPT_DELAY_MS, type DnsTarget, interleaveFamilies, runProbe } from '@vigil/probes'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createTestPki, type TestPki } from './fixtures/certs.js'
import { startDnsServer } from './fixtures/dns-server.js'
import { Loopback } from './fixtures/loopback.js'

const loopback = new Loopback()
let pki: TestPki
let resolver: string

beforeAll(() => {
  pki = createTestPki()
})
beforeEach(async () => {
  loopback.markBaseline()
  resolver = await startDnsServer(loopback, (name) => {
    switch (name) {
      // AAAA first in the answer order, as a dual-stack site's is.
      case 'dual.example.kz':
        return { rcode: 'NOERROR', a: ['127.0.0.1'], aaaa: ['::1'] }
      case 'v4only.example.kz':
        return { rcode: 'NOERROR', a: ['127.0.0.1'] }
      case 'localhost':
        return { rcode: 'NOERROR', a: ['127.0.0.1'], aaaa: ['::1'] }
      default:
        return { rcode: 'NXDOMAIN' }
    }
  })
})
afterEach(() => loopback.closeAll())
afterAll(() => loopback.closeAll())

/** A port free on both 127.0.0.1 and ::1, so that whatever listens on one family is refused on the other. */
async function portFreeOnBothFamilies(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const v4 = createNetServer()
    await new Promise<void>((resolve) => v4.listen(0, '127.0.0.1', () => resolve()))
    const port = (v4.address() as { port: number }).port
    const v6 = createNetServer()
    const free = await new Promise<boolean>((resolve) => {
      v6.once('error', () => resolve(false))
      v6.listen(port, '::1', () => resolve(true))
    })
    await new Promise<void>((resolve) => v6.close(() => resolve()))
    await new Promise<void>((resolve) => v4.close(() => resolve()))
    if (free) return port
  }
  throw new Error('no port free on both loopback families')
}

describe('happy eyeballs', () => {
  it('orders addresses with the families interleaved, starting with the first family given', () => {
    const order = interleaveFamilies([
      { address: '2001:db8::1', family: 6 },
      { address: '2001:db8::2', family: 6 },
      { address: '2001:db8::3', family: 6 },
      { address: '192.0.2.1', family: 4 },
      { address: '192.0.2.1', family: 4 },
    ]).map((entry) => entry.address)
    expect(order).toEqual(['2001:db8::1', '192.0.2.1', '2001:db8::2', '2001:db8::3'])
    expect(
      interleaveFamilies([
        { address: '192.0.2.1', family: 4 },
        { address: '192.0.2.2', family: 4 },
        { address: '2001:db8::1', family: 6 },
      ]).map((entry) => entry.address),
    ).toEqual(['192.0.2.1', '2001:db8::1', '192.0.2.2'])
  })

  it('tcp: reaches a dual-stack name over IPv4 when IPv6 is refused, recording both attempts', async () => {
    const port = await portFreeOnBothFamilies()
    await loopback.tcp((socket) => socket.end(), '127.0.0.1', port)
    const result = await runProbe(
      { kind: 'tcp', name: 'dual', host: 'dual.example.kz', port },
      { timeoutMs: 5000, resolver },
    )
    expect(result).toMatchObject({ ok: true, failure: null })
    expect(result.details.address).toBe('127.0.0.1')
    expect(result.details.addresses).toEqual(['::1', '127.0.0.1'])
    expect(result.details.attempts.map((a) => [a.address, a.outcome, a.failure])).toEqual([
      ['::1', 'failed', 'connection_refused'],
      ['127.0.0.1', 'connected', null],
    ])
  })

  it('tcp: reaches a dual-stack name over IPv6 when IPv4 is refused', async () => {
    const port = await portFreeOnBothFamilies()
    await loopback.tcp((socket) => socket.end(), '::1', port)
    const result = await runProbe(
      { kind: 'tcp', name: 'dual', host: 'dual.example.kz', port },
      { timeoutMs: 5000, resolver },
    )
    expect(result).toMatchObject({ ok: true, failure: null })
    expect(result.details.address).toBe('::1')
    expect(result.details.attempts[0]).toMatchObject({ address: '::1', outcome: 'connected', failure: null })
  })

  it('tcp: starts the IPv4 attempt 250 ms after an IPv6 attempt that hangs, and abandons the hanging one', async () => {
    // A real listener on ::1 whose accept queue is full (backlog 0, one connection waiting, never accepted):
    // the kernel drops further SYNs, so a connection to it neither succeeds nor fails, as over a
    // blackholed IPv6 path.
    const stuck = spawn(
      'python3',
      [
        '-c',
        'import socket,sys\n' +
          's=socket.socket(socket.AF_INET6)\n' +
          "s.bind(('::1',0))\n" +
          's.listen(0)\n' +
          'print(s.getsockname()[1],flush=True)\n' +
          'sys.stdin.read()\n',
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    )
    try {
      const port = await new Promise<number>((resolve, reject) => {
        stuck.stdout.once('data', (data: Buffer) => resolve(Number(data.toString().trim())))
        stuck.once('error', reject)
      })
      const filler = connect({ host: '::1', port })
      await new Promise<void>((resolve, reject) => {
        filler.once('connect', () => resolve())
        filler.once('error', reject)
      })
      try {
        await loopback.tcp((socket) => socket.end(), '127.0.0.1', port)
        const result = await runProbe(
          { kind: 'tcp', name: 'dual', host: 'dual.example.kz', port },
          { timeoutMs: 10_000, resolver },
        )
        expect(result).toMatchObject({ ok: true, failure: null })
        expect(result.details.address).toBe('127.0.0.1')
        const [v6, v4] = result.details.attempts
        expect(v6).toMatchObject({ address: '::1', outcome: 'abandoned', failure: null, connectMs: null })
        expect(v4).toMatchObject({ address: '127.0.0.1', outcome: 'connected' })
        expect(v4!.startMs).toBeGreaterThanOrEqual(CONNECTION_ATTEMPT_DELAY_MS - 1)
      } finally {
        filler.destroy()
      }
    } finally {
      stuck.stdin.end()
      stuck.kill()
    }
  })

  it('tcp: fails only when every address failed, each with its failure', async () => {
    const port = await portFreeOnBothFamilies()
    const result = await runProbe(
      { kind: 'tcp', name: 'dual', host: 'dual.example.kz', port },
      { timeoutMs: 5000, resolver },
    )
    expect(result).toMatchObject({ ok: false, failure: 'connection_refused' })
    expect(result.details.address).toBeNull()
    expect(result.details.attempts.map((a) => [a.address, a.failure])).toEqual([
      ['::1', 'connection_refused'],
      ['127.0.0.1', 'connection_refused'],
    ])
  })

  it('tcp: a name with no address at all is a DNS failure, with no attempt', async () => {
    const result = await runProbe(
      { kind: 'tcp', name: 'nx', host: 'missing.example.kz', port: 80 },
      { timeoutMs: 5000, resolver },
    )
    expect(result).toMatchObject({ ok: false, failure: 'dns_nxdomain_error' })
    expect(result.details.attempts).toEqual([])
  })

  it('http: fetches a dual-stack site over IPv4 and keeps the refused IPv6 attempt as evidence', async () => {
    const port = await portFreeOnBothFamilies()
    await loopback.listen(
      createHttpServer((_req, res) => res.end('<title>Vlast</title>')),
      '127.0.0.1',
      port,
    )
    const result = await runProbe(
      { kind: 'http', name: 'dual', url: `http://dual.example.kz:${port}/` },
      { timeoutMs: 5000, resolver },
    )
    expect(result).toMatchObject({ ok: true, failure: null })
    expect(result.details).toMatchObject({ address: '127.0.0.1', title: 'Vlast', statusCode: 200 })
    expect(result.details.hops[0]?.attempts.map((a) => [a.address, a.failure])).toEqual([
      ['::1', 'connection_refused'],
      ['127.0.0.1', null],
    ])
  })

  it('tls: handshakes with a dual-stack name over IPv4 when IPv6 is refused', async () => {
    const port = await portFreeOnBothFamilies()
    await loopback.listen(
      createHttpsServer({ key: pki.localhost.key, cert: pki.localhost.cert }, (_req, res) => res.end()),
      '127.0.0.1',
      port,
    )
    const result = await runProbe(
      { kind: 'tls', name: 'dual', host: 'localhost', port },
      { timeoutMs: 5000, resolver, ca: pki.ca },
    )
    expect(result).toMatchObject({ ok: true, failure: null })
    expect(result.details.address).toBe('127.0.0.1')
    expect(result.details.attempts.map((a) => a.outcome)).toEqual(['failed', 'connected'])
  })

  it('a name with only an A record is dialled over IPv4 alone', async () => {
    const port = await portFreeOnBothFamilies()
    await loopback.tcp((socket) => socket.end(), '127.0.0.1', port)
    const result = await runProbe(
      { kind: 'tcp', name: 'v4', host: 'v4only.example.kz', port },
      { timeoutMs: 5000, resolver },
    )
    expect(result).toMatchObject({ ok: true })
    expect(result.details.attempts).toHaveLength(1)
  })

  it('dns tampering keeps reading the whole answer set, AAAA included', async () => {
    const control = await startDnsServer(loopback, () => ({
      rcode: 'NOERROR',
      a: ['93.184.216.34'],
      aaaa: ['2606:2800:220:1:248:1893:25c8:1946'],
    }))
    const tampered = await startDnsServer(loopback, () => ({
      rcode: 'NOERROR',
      a: ['93.184.216.34'],
      aaaa: ['::1'],
    }))
    const target: DnsTarget = {
      kind: 'dns',
      name: 'dns',
      host: 'site.example',
      resolver: tampered,
      controlResolver: control,
    }
    const result = await runProbe(target, { timeoutMs: 5000 })
    expect(result.details.answers).toEqual(expect.arrayContaining(['93.184.216.34', '::1']))
    expect(result).toMatchObject({ ok: false, failure: 'dns_tampering' })
  })
})
