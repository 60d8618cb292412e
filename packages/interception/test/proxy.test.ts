// An in-country vantage behind an intercepting TLS proxy and a control vantage going direct probe the
// same site in one round: the verdicts say control_mismatch and fold into one finding for the proxy.

import tls from 'node:tls'
import {
  captureChain,
  classifyTlsChain,
  describeCertificate,
  groupFindings,
  loadKnownInterceptionList,
  parseCertificateDer,
  type TlsObservation,
} from '@vigil/interception'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildPki, type Pki, SITE } from './support/fixtures.js'
import { keyPem } from './support/pki.js'
import { expectNoOpenSockets, listen, type RunningServer, serveTls } from './support/servers.js'

/**
 * A middlebox in the style of 2019: for each SNI it fetches the origin's real certificate, mints a
 * look-alike under its own root, and relays the decrypted stream to the origin.
 */
async function startInterceptingProxy(pki: Pki, originPort: number): Promise<RunningServer> {
  const upstreams = new Set<tls.TLSSocket>()
  const connectOrigin = (servername: string) => {
    const upstream = tls.connect({ host: '127.0.0.1', port: originPort, servername, ca: pki.root.pem })
    upstreams.add(upstream)
    upstream.on('close', () => upstreams.delete(upstream))
    return upstream
  }
  const contexts = new Map<string, tls.SecureContext>()
  const server = tls.createServer(
    {
      SNICallback: (servername, callback) => {
        const cached = contexts.get(servername)
        if (cached) return callback(null, cached)
        const probe = connectOrigin(servername)
        probe.once('error', (error) => callback(error, undefined))
        probe.once('secureConnect', () => {
          const real = probe.getPeerCertificate().raw
          probe.destroy()
          const leaf = pki.mintInterceptLeaf(
            parseCertificateDer(real).subjectDer,
            describeCertificate(real).subjectAltNames,
          )
          const context = tls.createSecureContext({
            cert: leaf.pem + pki.interceptorRoot.pem,
            key: keyPem(leaf.key),
          })
          contexts.set(servername, context)
          callback(null, context)
        })
      },
    },
    (client) => {
      const upstream = connectOrigin(typeof client.servername === 'string' ? client.servername : SITE)
      client.on('error', () => upstream.destroy())
      upstream.on('error', () => client.destroy())
      client.pipe(upstream).pipe(client)
    },
  )
  server.on('tlsClientError', () => {})
  const running = await listen(server)
  return {
    port: running.port,
    close: async () => {
      for (const upstream of upstreams) upstream.destroy()
      await running.close()
    },
  }
}

const known = loadKnownInterceptionList()
const round = '2019-07-17T10:00:00Z'
let pki: Pki
let origin: RunningServer
let proxy: RunningServer

beforeAll(async () => {
  pki = buildPki()
  origin = await serveTls(pki.siteChain, keyPem(pki.siteLeaf.key))
  proxy = await startInterceptingProxy(pki, origin.port)
})

afterAll(async () => {
  await proxy?.close()
  await origin?.close()
  await expectNoOpenSockets()
})

async function probe(vantage: string, port: number, servername: string): Promise<TlsObservation> {
  const capture = await captureChain({
    host: '127.0.0.1',
    port,
    servername,
    timeoutMs: 5000,
    ca: pki.root.pem,
  })
  return { ...capture, vantage, round }
}

describe('intercepting proxy against a control vantage', () => {
  it('relays traffic for a client that trusts the interceptor root', async () => {
    const client = tls.connect({
      host: '127.0.0.1',
      port: proxy.port,
      servername: SITE,
      ca: pki.interceptorRoot.pem,
    })
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('secureConnect', resolve)
        client.once('error', reject)
      })
      expect(client.authorized).toBe(true)
      client.write('ping')
      const [reply] = (await Promise.race([
        new Promise((resolve) => client.once('data', (data) => resolve([data.toString()]))),
        new Promise((_, reject) => setTimeout(() => reject(new Error('no reply through the proxy')), 3000)),
      ])) as [string]
      expect(reply).toBe('echo:ping')
    } finally {
      client.destroy()
    }
  })

  it('gives control_mismatch per host and one finding for the round', async () => {
    const hosts = [SITE, `news.${SITE}`]
    const pairs = await Promise.all(
      hosts.map(async (host) => ({
        inCountry: await probe('kz-almaty-1', proxy.port, host),
        control: await probe('control-de-1', origin.port, host),
      })),
    )
    const verdicts = pairs.map(({ inCountry, control }) => classifyTlsChain(inCountry, { known, control }))

    for (const verdict of verdicts) {
      expect(verdict.verdict).toBe('control_mismatch')
      expect(verdict.failure).toBe('ssl_unknown_authority')
      expect(verdict.evidence.map((e) => e.kind)).toEqual(
        expect.arrayContaining(['copied_subject', 'low_rsa_exponent', 'backdated_validity', 'missing_sct']),
      )
    }
    for (const { control } of pairs) {
      expect(classifyTlsChain(control, { known, control }).verdict).toBe('ok')
    }

    const findings = groupFindings(verdicts)
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({
      vantage: 'kz-almaty-1',
      round,
      verdict: 'control_mismatch',
      hosts: [`news.${SITE}`, SITE],
      interceptorSubject: 'C=ZZ, CN=Interceptor Root',
      interceptorSpki: describeCertificate(pki.interceptorRoot.der).spkiSha256,
      knownInterception: null,
    })
    expect(findings[0]!.targets).toHaveLength(2)
  })
})
