// `vigil check-config` and the command line itself, in-process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { runCli } from '@vigil/vigil'
import { afterAll, describe, expect, it } from 'vitest'
import { plainHttpRefusal } from '../src/commands/agent.js'

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function run(...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(
    argv,
    {},
    { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) },
  )
  return { code, stdout, stderr }
}

describe('vigil check-config', () => {
  it('accepts the shipped config', async () => {
    const result = await run('check-config')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^ok .*config\/kazakhstan\.yaml\n$/)
  })

  it('rejects a broken config, naming the file, the key path and the line of each problem', async () => {
    const file = path.join(dir, 'broken.yaml')
    writeFileSync(
      file,
      [
        'country: KZ',
        'vantage:',
        '  id: almaty-1',
        '  role: in_country',
        '  country: KZ',
        '  region: Almaty',
        '  colour: blue',
        'regions:',
        '  - name: Almaty',
        '    timeZone: Asia/Almaty',
        'targetGroups:',
        '  - name: social',
        '    purpose: service',
        '    interval: 5',
        '    targets:',
        '      - url: https://facebook.com/',
        '',
      ].join('\n'),
    )
    const result = await run('check-config', '--config', file)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`${file}:7: vantage.colour`)
    expect(result.stderr).toContain(`${file}:14: targetGroups[0].interval`)
  })

  it('says which file is missing', async () => {
    const result = await run('check-config', '--config', path.join(dir, 'nope.yaml'))
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('nope.yaml')
  })
})

describe('the command line', () => {
  it('lists the commands and refuses unknown ones and unknown options', async () => {
    expect((await run('help')).stdout).toContain('check-config')
    const unknown = await run('launch')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('unknown command "launch"')
    const badOption = await run('check-config', '--colour')
    expect(badOption.code).toBe(1)
    expect(badOption.stderr).toContain("Unknown option '--colour'")
    const badService = await run('start', '--only', 'api,mailer')
    expect(badService.code).toBe(2)
    expect(badService.stderr).toContain('unknown service "mailer"')
    const badPort = await run('start', '--port', 'eighty')
    expect(badPort.code).toBe(2)
    expect(badPort.stderr).toContain('--port must be a whole number')
  })
})

describe('vigil agent --api', () => {
  it('refuses plain HTTP to another machine, saying why and how to override', async () => {
    for (const api of ['http://vigil.example.org', 'http://10.0.0.7:8080', 'http://[2001:db8::1]:8080']) {
      const result = await run('agent', '--api', api)
      expect(result.code).toBe(2)
      expect(result.stderr).toContain('over plain HTTP')
      expect(result.stderr).toContain('clear text')
      expect(result.stderr).toContain('--insecure')
    }
  })

  it('allows https, loopback over http, and plain http with --insecure', () => {
    expect(plainHttpRefusal('https://vigil.example.org', false)).toBeNull()
    for (const api of [
      'http://127.0.0.1:8080',
      'http://127.9.9.9',
      'http://[::1]:8080',
      'http://localhost:8080',
    ]) {
      expect(plainHttpRefusal(api, false)).toBeNull()
    }
    expect(plainHttpRefusal('http://vigil.example.org', true)).toBeNull()
    expect(plainHttpRefusal('http://127.0.0.1.example.org', false)).toContain('plain HTTP')
  })
})
