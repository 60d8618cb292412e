// `vigil probe --once --json`: one JSON object per probe, exit 0 even when targets fail.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { runCli } from '@vigil/vigil'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Loopback, loopbackConfigYaml, serve } from '../../prober/test/support.js'

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-probe-'))
let up: Loopback
let refusedPort: number

beforeAll(async () => {
  up = await serve(() => ({ status: 200, body: '<title>ok</title>' }))
  const gone = await serve(() => null)
  refusedPort = gone.port
  await gone.close()
})
afterAll(async () => {
  await up.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('vigil probe --once --json', () => {
  it('prints one JSON line per target and kind and exits 0 though a target fails', async () => {
    const file = path.join(dir, 'probe.yaml')
    writeFileSync(
      file,
      loopbackConfigYaml([
        {
          name: 'social',
          targets: [
            { name: 'up', port: up.port },
            { name: 'down', port: refusedPort },
          ],
        },
      ]),
    )
    let stdout = ''
    const code = await runCli(
      ['probe', '--config', file, '--once', '--json'],
      {},
      {
        stdout: (text) => (stdout += text),
        stderr: () => {},
      },
    )
    expect(code).toBe(0)
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines).toHaveLength(2)
    const byTarget = Object.fromEntries(lines.map((line) => [line.target, line]))
    expect(byTarget.up).toMatchObject({
      target: 'up',
      kind: 'http',
      vantage: 'test-almaty',
      ok: true,
      failure: null,
      statusCode: 200,
    })
    expect(byTarget.down).toMatchObject({ ok: false, failure: 'connection_refused', statusCode: null })
    expect(typeof byTarget.up.durationMs).toBe('number')
  })

  it('starts a one-shot round at once, whatever jitter the schedule would use', async () => {
    // With jitter 0.5 of a one-hour interval, a scheduled round would spread its starts over 30 minutes; the
    // test's own timeout is far shorter, so finishing at all shows the one-shot run did not wait.
    const file = path.join(dir, 'jitter.yaml')
    const yaml = loopbackConfigYaml([
      { name: 'social', interval: '1h', targets: [{ name: 'up', port: up.port }] },
    ])
    writeFileSync(file, yaml.replace('  jitter: 0\n', '  jitter: 0.5\n'))
    let stdout = ''
    const code = await runCli(
      ['probe', '--config', file, '--once', '--json'],
      {},
      { stdout: (text) => (stdout += text), stderr: () => {} },
    )
    expect(code).toBe(0)
    expect(JSON.parse(stdout.trim())).toMatchObject({ target: 'up', ok: true })
  })
})

describe('vigil probe with OONI fingerprint files', () => {
  it('reports a redirect to the notice host named in a fingerprint file as http_blockpage', async () => {
    const notice = createServer((_req, res) => res.writeHead(200).end('<title>notice</title>'))
    await new Promise<void>((resolve) => notice.listen(0, '127.0.0.1', resolve))
    const noticePort = (notice.address() as AddressInfo).port
    const site = createServer((_req, res) =>
      res.writeHead(302, { location: `http://127.0.0.1:${noticePort}/blocked.html` }).end(),
    )
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve))
    const sitePort = (site.address() as AddressInfo).port
    try {
      writeFileSync(
        path.join(dir, 'fingerprints_http.csv'),
        [
          'name,scope,other_names,location_found,pattern_type,pattern,confidence_no_fp,expected_countries,source,exp_url,notes',
          `test.kz_1,isp,,header.location,prefix,http://127.0.0.1:${noticePort}/blocked,5,KZ,test,,`,
        ].join('\n'),
      )
      const file = path.join(dir, 'fingerprints.yaml')
      const yaml = loopbackConfigYaml([{ name: 'social', targets: [{ name: 'site', port: sitePort }] }])
      writeFileSync(
        file,
        yaml.replace('  blockPages:\n', '  blockPages:\n    files: [fingerprints_http.csv]\n    patterns:\n'),
      )
      let stdout = ''
      await runCli(
        ['probe', '--config', file, '--once', '--json'],
        {},
        {
          stdout: (text) => (stdout += text),
          stderr: () => {},
        },
      )
      const line = JSON.parse(stdout.trim())
      expect(line).toMatchObject({ target: 'site', ok: false, failure: 'http_blockpage' })
      expect(line.details).toMatchObject({ blockPage: 'test.kz_1', blockPageHop: 0, statusCode: 200 })
      expect(line.details.hops[0]).toMatchObject({ statusCode: 302, blockPage: 'test.kz_1' })
    } finally {
      site.closeAllConnections()
      notice.closeAllConnections()
      await new Promise<void>((resolve) => site.close(() => resolve()))
      await new Promise<void>((resolve) => notice.close(() => resolve()))
    }
  })
})
