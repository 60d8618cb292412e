// Captures against real TLS servers on loopback: each kind of chain a vantage can meet gets the
// failure string, verdict and evidence a monitor would expect to read.

import {
  captureChain,
  classifyTlsChain,
  type EvidenceKind,
  loadKnownInterceptionList,
  type TlsCapture,
  toReport,
} from '@vigil/interception'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildPki,
  type Pki,
  QAZNET_NAME,
  QAZNET_SHA256,
  qaznetChain,
  SITE,
  SITE_NAMES,
} from './support/fixtures.js'
import { keyPem, toPem } from './support/pki.js'
import { closedPort, expectNoOpenSockets, type RunningServer, serveTcp, serveTls } from './support/servers.js'

const known = loadKnownInterceptionList()
let pki: Pki
const servers: RunningServer[] = []

async function start(server: Promise<RunningServer>): Promise<RunningServer> {
  const running = await server
  servers.push(running)
  return running
}

function capture(port: number, servername = SITE): Promise<TlsCapture> {
  return captureChain({ host: '127.0.0.1', port, servername, timeoutMs: 5000, ca: pki.root.pem })
}

const kinds = (evidence: { kind: EvidenceKind }[]) => evidence.map((e) => e.kind)

beforeAll(() => {
  pki = buildPki()
})

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()))
  await expectNoOpenSockets()
})

describe('captureChain against loopback TLS servers', () => {
  it('records a normal chain that verifies under the test root as ok', async () => {
    const site = await start(serveTls(pki.siteChain, keyPem(pki.siteLeaf.key)))
    const observation = await capture(site.port)

    expect(observation.failure).toBeNull()
    expect(observation.verified).toBe(true)
    expect(observation.trustStore).toBe('custom')
    expect(observation.protocol).toBe('TLSv1.3')
    expect(observation.cipher).toMatch(/^TLS_/)
    // Leaf and intermediate as sent; the path that verified adds the root from the trust store.
    expect(observation.chain.map((c) => c.subject)).toEqual([
      `O=Vigil Test Site, CN=${SITE}`,
      'O=Vigil Test, CN=Vigil Test Issuing CA',
    ])
    expect(observation.verifiedChain?.map((c) => c.subject)).toEqual([
      `O=Vigil Test Site, CN=${SITE}`,
      'O=Vigil Test, CN=Vigil Test Issuing CA',
      'O=Vigil Test, CN=Vigil Test Root',
    ])
    const leaf = observation.chain[0]!
    expect(leaf.subjectAltNames).toEqual(SITE_NAMES)
    expect(leaf).toMatchObject({ keyType: 'ec', keySize: 256, rsaPublicExponent: null, isCa: null })
    expect(leaf.hasAuthorityInfoAccess && leaf.hasSctList).toBe(true)

    const verdict = classifyTlsChain(observation, { known, control: observation })
    expect(verdict.verdict).toBe('ok')
    expect(kinds(verdict.evidence)).toEqual(['matches_control'])
  })

  it('flags an interceptor leaf that copies the subject and names: exponent 3, backdated, no AIA or SCTs', async () => {
    const leaf = pki.mintInterceptLeaf(pki.siteLeaf.subjectDer, SITE_NAMES)
    const interceptor = await start(serveTls([leaf.pem, pki.interceptorRoot.pem], keyPem(leaf.key)))
    const site = await start(serveTls(pki.siteChain, keyPem(pki.siteLeaf.key)))
    const [inCountry, control] = await Promise.all([capture(interceptor.port), capture(site.port)])

    expect(inCountry.failure).toBe('ssl_unknown_authority')
    expect(inCountry.errorCode).toBe('SELF_SIGNED_CERT_IN_CHAIN')
    expect(inCountry.chain[0]).toMatchObject({
      subject: `O=Vigil Test Site, CN=${SITE}`,
      rsaPublicExponent: 3,
    })

    const withControl = classifyTlsChain(inCountry, { known, control })
    expect(withControl.verdict).toBe('control_mismatch')
    expect(kinds(withControl.evidence)).toEqual([
      'chain_not_verified',
      'leaf_differs_from_control',
      'issuer_differs_from_control',
      'low_rsa_exponent',
      'backdated_validity',
      'validity_before_issuer',
      'missing_aia',
      'missing_sct',
      'copied_subject',
    ])
    expect(withControl.interceptorSubject).toBe('C=ZZ, CN=Interceptor Root')

    const alone = classifyTlsChain(inCountry, { known })
    expect(alone.verdict).toBe('untrusted_root')
    expect(kinds(alone.evidence)).toContain('low_rsa_exponent')
    expect(kinds(alone.evidence)).not.toContain('copied_subject')
  })

  it('names the Qaznet root when a server presents it in the chain', async () => {
    const { chain, root } = qaznetChain(false, pki.siteLeaf.subjectDer, SITE_NAMES)
    const server = await start(serveTls([...chain.map((c) => c.pem), toPem(root)], keyPem(chain[0]!.key)))
    const observation = await capture(server.port)

    expect(observation.failure).toBe('ssl_unknown_authority')
    expect(observation.chain.map((c) => c.subject)).toEqual([
      `O=Vigil Test Site, CN=${SITE}`,
      'C=KZ, CN=Security Certificate',
      'C=KZ, CN=Qaznet Trust Network',
    ])
    const verdict = classifyTlsChain(observation, { known })
    expect(verdict.verdict).toBe('known_interception')
    expect(verdict.knownMatches).toEqual([
      { entry: QAZNET_NAME, kind: 'certificate', chainIndex: 2, certSha256: QAZNET_SHA256 },
    ])
    expect(kinds(verdict.evidence)).toEqual(
      expect.arrayContaining(['known_interception_certificate', 'low_rsa_exponent', 'backdated_validity']),
    )

    const report = toReport(observation, verdict)
    expect(report.verdict).toBe('known_interception')
    expect(report.failure).toBe('ssl_unknown_authority')
    expect(report.chain.map((c) => c.knownInterception)).toEqual([null, null, QAZNET_NAME])
    expect(report.chain[2]!.sha256).toBe(QAZNET_SHA256)
  })

  it('catches a chain issued by the Qaznet root even when the root itself is not sent', async () => {
    const { chain } = qaznetChain(true, pki.siteLeaf.subjectDer, SITE_NAMES)
    const server = await start(
      serveTls(
        chain.map((c) => c.pem),
        keyPem(chain[0]!.key),
      ),
    )
    const observation = await capture(server.port)

    expect(observation.chain).toHaveLength(2)
    const verdict = classifyTlsChain(observation, { known })
    expect(verdict.verdict).toBe('known_interception')
    expect(verdict.knownMatches).toEqual([
      { entry: QAZNET_NAME, kind: 'issuer_key_id', chainIndex: 1, certSha256: observation.chain[1]!.sha256 },
    ])
    // The interceptor is named by the listed root's key, as when the root is presented.
    expect(verdict.interceptorSpki).toBe(known.find((e) => e.name === QAZNET_NAME)!.spkiSha256)
  })

  it('reports a self-signed leaf as untrusted with the self-signed trait', async () => {
    const server = await start(serveTls([pki.selfSigned.pem], keyPem(pki.selfSigned.key)))
    const observation = await capture(server.port)

    expect(observation.failure).toBe('ssl_unknown_authority')
    expect(observation.errorCode).toBe('DEPTH_ZERO_SELF_SIGNED_CERT')
    expect(observation.chain).toHaveLength(1)
    const verdict = classifyTlsChain(observation, { known })
    expect(verdict.verdict).toBe('untrusted_root')
    expect(kinds(verdict.evidence)).toEqual([
      'chain_not_verified',
      'missing_aia',
      'missing_sct',
      'self_signed_leaf',
    ])
  })

  it('reports a leaf for another name as ssl_invalid_hostname, and the same everywhere as the server’s own fault', async () => {
    const server = await start(serveTls([pki.wrongHost.pem, pki.intermediate.pem], keyPem(pki.wrongHost.key)))
    const observation = await capture(server.port)

    expect(observation.failure).toBe('ssl_invalid_hostname')
    expect(observation.verified).toBe(false)
    expect(classifyTlsChain(observation, { known }).verdict).toBe('untrusted_root')

    const control = await capture(server.port)
    const verdict = classifyTlsChain(observation, { known, control })
    expect(verdict.verdict).toBe('untrusted_root')
    expect(kinds(verdict.evidence)).toEqual(['chain_not_verified', 'matches_control'])
  })

  it('verifies against the bundled Mozilla roots when no CA is given', async () => {
    const site = await start(serveTls(pki.siteChain, keyPem(pki.siteLeaf.key)))
    const observation = await captureChain({
      host: '127.0.0.1',
      port: site.port,
      servername: SITE,
      timeoutMs: 5000,
    })
    expect(observation.trustStore).toBe('mozilla')
    expect(observation.failure).toBe('ssl_unknown_authority')
    expect(observation.chain).toHaveLength(2)
  })
})

describe('captureChain when no chain is seen', () => {
  const noChain = async (observation: Promise<TlsCapture>) => {
    const result = await observation
    expect(result.chain).toEqual([])
    expect(result.verified).toBe(false)
    const verdict = classifyTlsChain(result, { known })
    expect(verdict.verdict).toBe('handshake_failed')
    expect(verdict.failure).toBe(result.failure)
    return result.failure
  }

  it('connection_refused on a closed port', async () => {
    expect(await noChain(capture(await closedPort()))).toBe('connection_refused')
  })

  it('eof_error when the server closes without a word', async () => {
    const server = await start(serveTcp((socket) => socket.end()))
    expect(await noChain(capture(server.port))).toBe('eof_error')
  })

  it('connection_reset when the server resets', async () => {
    const server = await start(serveTcp((socket) => socket.once('data', () => socket.resetAndDestroy())))
    expect(await noChain(capture(server.port))).toBe('connection_reset')
  })

  it('ssl_failed_handshake when the server does not speak TLS', async () => {
    const server = await start(
      serveTcp((socket) => socket.once('data', () => socket.write('HTTP/1.1 400 Bad\r\n\r\n'))),
    )
    expect(await noChain(capture(server.port))).toBe('ssl_failed_handshake')
  })

  it('generic_timeout_error when the server never answers', async () => {
    const server = await start(serveTcp(() => {}))
    const started = Date.now()
    const result = captureChain({ host: '127.0.0.1', port: server.port, servername: SITE, timeoutMs: 300 })
    expect(await noChain(result)).toBe('generic_timeout_error')
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('interrupted when the caller aborts', async () => {
    const server = await start(serveTcp(() => {}))
    const controller = new AbortController()
    const result = captureChain({
      host: '127.0.0.1',
      port: server.port,
      servername: SITE,
      timeoutMs: 10_000,
      signal: controller.signal,
    })
    setTimeout(() => controller.abort(), 50)
    expect(await noChain(result)).toBe('interrupted')
  })
})
