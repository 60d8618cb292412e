// `vigil tls-check` against loopback TLS servers, in-process: the JSON a script reads, the text a person
// reads, the config's pins, and a port that is not one.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { runCli } from '@vigil/vigil'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildPki,
  type Pki,
  QAZNET_NAME,
  QAZNET_SHA256,
  qaznetChain,
  SITE,
  SITE_NAMES,
} from '../../../packages/interception/test/support/fixtures.js'
import { keyPem, toPem } from '../../../packages/interception/test/support/pki.js'
import {
  closedPort,
  expectNoOpenSockets,
  type RunningServer,
  serveTls,
} from '../../../packages/interception/test/support/servers.js'
import { certwatchConfigYaml } from './support.js'

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-tls-check-'))
const caFile = path.join(dir, 'root.pem')
let pki: Pki
let site: RunningServer
let qaznet: RunningServer

beforeAll(async () => {
  pki = buildPki()
  writeFileSync(caFile, pki.root.pem)
  site = await serveTls(pki.siteChain, keyPem(pki.siteLeaf.key))
  const { chain, root } = qaznetChain(false, pki.siteLeaf.subjectDer, SITE_NAMES)
  qaznet = await serveTls([...chain.map((c) => c.pem), toPem(root)], keyPem(chain[0]!.key))
})

afterAll(async () => {
  await site?.close()
  await qaznet?.close()
  rmSync(dir, { recursive: true, force: true })
  await expectNoOpenSockets()
})

async function run(...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(
    ['tls-check', ...argv],
    {},
    { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) },
  )
  return { code, stdout, stderr }
}

describe('vigil tls-check', () => {
  it('prints known_interception as JSON for a chain ending in the Qaznet root', async () => {
    const result = await run(`127.0.0.1:${qaznet.port}`, '--sni', SITE, '--json', '--ca', caFile)
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report).toMatchObject({
      host: '127.0.0.1',
      port: qaznet.port,
      servername: SITE,
      verdict: 'known_interception',
      failure: 'ssl_unknown_authority',
      vantage: null,
    })
    expect(report.chain).toHaveLength(3)
    for (const cert of report.chain) {
      expect(Object.keys(cert)).toEqual(
        expect.arrayContaining(['sha256', 'spkiSha256', 'subject', 'issuer', 'knownInterception']),
      )
    }
    expect(report.chain.map((c: { knownInterception: string | null }) => c.knownInterception)).toEqual([
      null,
      null,
      QAZNET_NAME,
    ])
    expect(report.chain[2].sha256).toBe(QAZNET_SHA256)
    expect(report.chain[0].subject).toBe(`O=Vigil Test Site, CN=${SITE}`)
  })

  it('prints ok with no failure for a chain under the trusted test root, and the text form', async () => {
    const json = JSON.parse(
      (await run(`127.0.0.1:${site.port}`, '--sni', SITE, '--json', '--ca', caFile)).stdout,
    )
    expect(json).toMatchObject({ verdict: 'ok', failure: null, verified: true })
    // What the server sent (leaf and intermediate), then the path that verified, ending in the store's root.
    expect(json.chain.map((c: { subject: string }) => c.subject)).toEqual([
      `O=Vigil Test Site, CN=${SITE}`,
      'O=Vigil Test, CN=Vigil Test Issuing CA',
    ])
    expect(json.verifiedChain.map((c: { subject: string }) => c.subject)).toEqual([
      `O=Vigil Test Site, CN=${SITE}`,
      'O=Vigil Test, CN=Vigil Test Issuing CA',
      'O=Vigil Test, CN=Vigil Test Root',
    ])

    const text = await run(`127.0.0.1:${site.port}`, '--sni', SITE, '--ca', caFile)
    expect(text.code).toBe(0)
    expect(text.stdout).toContain(`127.0.0.1:${site.port} (SNI ${SITE})`)
    expect(text.stdout).toMatch(/^verdict {3}ok$/m)
    expect(text.stdout).toContain(`chain[0] O=Vigil Test Site, CN=${SITE}`)
    expect(text.stdout).toMatch(
      /^path {6}O=Vigil Test Site, CN=.* <- .* <- O=Vigil Test, CN=Vigil Test Root$/m,
    )
  })

  it('applies the config: its vantage and its SPKI pins', async () => {
    const configFile = path.join(dir, 'pins.yaml')
    writeFileSync(
      configFile,
      certwatchConfigYaml({
        id: 'kz-almaty-1',
        role: 'in_country',
        region: 'Almaty',
        targets: [{ name: 'site', port: site.port, sni: SITE }],
        pins: [{ host: SITE, spkiSha256: ['0'.repeat(64)] }],
      }),
    )
    const result = await run(
      `127.0.0.1:${site.port}`,
      '--sni',
      SITE,
      '--json',
      '--ca',
      caFile,
      '--config',
      configFile,
    )
    expect(result.stderr).toBe('')
    const report = JSON.parse(result.stdout)
    expect(report.vantage).toBe('kz-almaty-1')
    expect(report.evidence.map((e: { kind: string }) => e.kind)).toContain('spki_not_pinned')
  })

  it('reports a refused connection as handshake_failed, and rejects a bad port', async () => {
    const port = await closedPort()
    const refused = JSON.parse((await run(`127.0.0.1:${port}`, '--json')).stdout)
    expect(refused).toMatchObject({ verdict: 'handshake_failed', failure: 'connection_refused', chain: [] })

    const bad = await run('127.0.0.1:99999')
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('port between 1 and 65535')
  })
})
