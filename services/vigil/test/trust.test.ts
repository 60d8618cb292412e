// One trust configuration for every TLS check: a site under a private CA is trusted by the prober and by
// certwatch alike when the CA is named under trust.caFiles or in NODE_EXTRA_CA_CERTS, and by neither when
// it is not; check-config says how many roots are in use.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { rootCertificates } from 'node:tls'
import { createCertwatch } from '@vigil/certwatch'
import { ConfigError, loadConfig, type VigilConfig } from '@vigil/config'
import { createProber } from '@vigil/prober'
import { runCli } from '@vigil/vigil'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ecKey,
  hoursFromNow,
  issueCertificate,
  keyPem,
} from '../../../packages/interception/test/support/pki.js'

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-trust-'))
const caFile = path.join(dir, 'private-ca.pem')
let server: ReturnType<typeof createServer>
let port: number

beforeAll(async () => {
  const root = issueCertificate({
    subject: [
      ['O', 'Newsroom'],
      ['CN', 'Newsroom Private CA'],
    ],
    key: ecKey(),
    notBefore: hoursFromNow(-24),
    notAfter: hoursFromNow(24 * 365),
    ca: true,
  })
  const leaf = issueCertificate({
    subject: [['CN', 'localhost']],
    key: ecKey(),
    issuer: root,
    notBefore: hoursFromNow(-1),
    notAfter: hoursFromNow(24 * 90),
    subjectAltNames: ['DNS:localhost', 'IP:127.0.0.1'],
  })
  writeFileSync(caFile, root.pem)
  server = createServer({ key: keyPem(leaf.key), cert: leaf.pem }, (_req, res) =>
    res.end('<title>ok</title>'),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  rmSync(dir, { recursive: true, force: true })
})

function writeConfig(name: string, trust: string[]): string {
  const file = path.join(dir, name)
  writeFileSync(
    file,
    [
      'country: KZ',
      'vantage:',
      '  id: test-almaty',
      '  role: in_country',
      '  country: KZ',
      '  region: Almaty',
      '  network:',
      '    asn: 9198',
      'regions:',
      '  - name: Almaty',
      '    timeZone: Asia/Almaty',
      'probing:',
      '  jitter: 0',
      ...trust,
      'targetGroups:',
      '  - name: newsroom',
      '    probes: [tls, https]',
      '    timeout: 5s',
      '    targets:',
      `      - url: https://localhost:${port}/`,
      '',
    ].join('\n'),
  )
  return file
}

async function bothChecks(config: VigilConfig) {
  const prober = createProber({ config, record: () => {} })
  const probed = await prober.runOnce()
  await prober.stop()
  const certwatch = createCertwatch({ config, record: () => {} })
  const checks = await certwatch.runOnce()
  await certwatch.stop()
  return {
    tls: probed.find((o) => o.result.kind === 'tls')?.result,
    https: probed.find((o) => o.result.kind === 'https')?.result,
    certwatch: checks[0],
  }
}

describe('one trust configuration', () => {
  it('trust.caFiles: the prober and certwatch both trust the private CA', async () => {
    const config = await loadConfig(writeConfig('files.yaml', ['trust:', '  caFiles: [private-ca.pem]']), {})
    expect(config.trust.counts).toEqual({ bundled: rootCertificates.length, environment: 0, files: 1 })
    const { tls, https, certwatch } = await bothChecks(config)
    expect(tls).toMatchObject({ ok: true, failure: null })
    expect(https).toMatchObject({ ok: true, failure: null })
    expect(certwatch?.verdict.verdict).toBe('ok')
    expect(certwatch?.observation.verified).toBe(true)
    expect(certwatch?.observation.verifiedChain?.at(-1)?.subject).toContain('Newsroom Private CA')
  })

  it('NODE_EXTRA_CA_CERTS: the same, through the environment', async () => {
    const config = await loadConfig(writeConfig('env.yaml', []), { NODE_EXTRA_CA_CERTS: caFile })
    expect(config.trust.counts.environment).toBe(1)
    const { tls, https, certwatch } = await bothChecks(config)
    expect(tls?.ok).toBe(true)
    expect(https?.ok).toBe(true)
    expect(certwatch?.verdict.verdict).toBe('ok')
  })

  it('neither: both report the private CA as unknown, never one ok and one not', async () => {
    const config = await loadConfig(writeConfig('none.yaml', []), {})
    const { tls, https, certwatch } = await bothChecks(config)
    expect(tls?.failure).toBe('ssl_unknown_authority')
    expect(https?.failure).toBe('ssl_unknown_authority')
    expect(certwatch?.verdict.verdict).toBe('untrusted_root')
  })

  it('bundledRoots: false trusts only the roots named', async () => {
    const config = await loadConfig(
      writeConfig('only.yaml', ['trust:', '  bundledRoots: false', '  caFiles: [private-ca.pem]']),
      {},
    )
    expect(config.trust.roots).toHaveLength(1)
    expect((await bothChecks(config)).https?.ok).toBe(true)
  })

  it('names the key and the file when a CA file cannot be used', async () => {
    writeFileSync(path.join(dir, 'empty.pem'), 'not a certificate\n')
    const bad = writeConfig('bad.yaml', ['trust:', '  caFiles: [missing.pem, empty.pem]'])
    const error = await loadConfig(bad, {}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    const message = (error as Error).message
    expect(message).toMatch(/bad\.yaml:\d+: trust\.caFiles\[0\]: cannot read .*missing\.pem: ENOENT/)
    expect(message).toMatch(/trust\.caFiles\[1\]: .*empty\.pem holds no PEM certificate/)
    const env = await loadConfig(writeConfig('badenv.yaml', []), {
      NODE_EXTRA_CA_CERTS: path.join(dir, 'gone.pem'),
    }).catch((e: unknown) => e)
    expect((env as Error).message).toMatch(/trust: NODE_EXTRA_CA_CERTS: cannot read .*gone\.pem/)
  })

  it('check-config reports how many roots are in use and where they come from', async () => {
    let stdout = ''
    const code = await runCli(
      ['check-config', '--config', writeConfig('report.yaml', ['trust:', '  caFiles: [private-ca.pem]'])],
      { NODE_EXTRA_CA_CERTS: caFile },
      { stdout: (text) => (stdout += text), stderr: () => {} },
    )
    expect(code).toBe(0)
    // The same CA from both sources counts once, under the environment that was read first.
    expect(stdout).toContain(
      `trust: ${rootCertificates.length + 1} roots (bundled ${rootCertificates.length}, NODE_EXTRA_CA_CERTS 1, trust.caFiles 0)`,
    )
  })

  it('tls-check without a config trusts NODE_EXTRA_CA_CERTS too, and shows the path that verified', async () => {
    let stdout = ''
    const io = { stdout: (text: string) => (stdout += text), stderr: () => {} }
    const code = await runCli(
      ['tls-check', `127.0.0.1:${port}`, '--sni', 'localhost', '--json'],
      { NODE_EXTRA_CA_CERTS: caFile },
      io,
    )
    expect(code).toBe(0)
    const report = JSON.parse(stdout)
    expect(report).toMatchObject({ verdict: 'ok', verified: true })
    expect(report.verifiedChain.at(-1).subject).toContain('Newsroom Private CA')
    stdout = ''
    await runCli(['tls-check', `127.0.0.1:${port}`, '--sni', 'localhost', '--json'], {}, io)
    expect(JSON.parse(stdout)).toMatchObject({
      verdict: 'untrusted_root',
      verified: false,
      verifiedChain: null,
    })
  })
})
