// `vigil check-config` and the command line itself, in-process.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { runCli } from '@vigil/vigil'
import { afterAll, describe, expect, it } from 'vitest'
import { plainHttpRefusal } from '../src/commands/agent.js'
import { CsvRecordCounter } from '../src/commands/running.js'

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
    expect(result.stdout).toMatch(/^ok .*config\/kazakhstan\.yaml\ntrust: \d+ roots /)
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

  it('blames the key that was written, not one filled in by a default, and says what to set', async () => {
    const base = [
      'country: KZ',
      'vantage:',
      '  id: almaty-1',
      '  role: in_country',
      '  country: KZ',
      '  region: Almaty',
      '  network:',
      '    asn: 9198',
      'regions:',
      '  - name: Almaty',
      '    timeZone: Asia/Almaty',
      'targetGroups:',
      '  - name: control',
      '    purpose: control',
      '    targets:',
      '      - url: https://example.org/',
    ]
    const cases: { lines: string[]; line: number; path: string; message: RegExp }[] = [
      {
        // news.rallyInterval defaults to 2m; the file only says interval: 1m.
        lines: [
          'news:',
          '  interval: 1m',
          '  sources:',
          '    - name: wire',
          '      type: rss',
          '      url: https://wire.example/rss',
        ],
        line: 18,
        path: 'news.interval',
        message:
          /1m is shorter than rallyInterval, which is not set and defaults to 2m; set news\.rallyInterval to 1m or less/,
      },
      {
        // The same through a source's own interval: the source's key is named, and the key to set is its own.
        lines: [
          'news:',
          '  sources:',
          '    - name: wire',
          '      type: rss',
          '      url: https://wire.example/rss',
          '      interval: 30s',
        ],
        line: 22,
        path: 'news.sources[0].interval',
        message: /set news\.rallyInterval to 30s or less/,
      },
      {
        // probing.timeout defaults to 10s; the file sets rallyInterval: 5s.
        lines: ['probing:', '  rallyInterval: 5s'],
        line: 18,
        path: 'probing.rallyInterval',
        message: /shorter than timeout, which is not set and defaults to/,
      },
    ]
    for (const [index, example] of cases.entries()) {
      const file = path.join(dir, `default-${index}.yaml`)
      writeFileSync(file, `${[...base, ...example.lines].join('\n')}\n`)
      const result = await run('check-config', '--config', file)
      expect(result.code, result.stderr).toBe(1)
      const lines = result.stderr.trim().split('\n')
      expect(lines, result.stderr).toHaveLength(1)
      expect(lines[0]).toContain(`${file}:${example.line}: ${example.path}: `)
      expect(lines[0]).toMatch(example.message)
      expect(result.stderr).not.toContain('rallyInterval: must not be longer')
    }
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

describe('a data directory held by a process without a control socket', () => {
  it('is refused by the commands that need the database, naming the process', async () => {
    const dataDir = mkdtempSync(path.join(dir, 'held-'))
    // The parent of the test worker is alive; its start time is recorded as /proc reports it.
    const stat = readFileSync(`/proc/${process.ppid}/stat`, 'utf8')
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
    writeFileSync(path.join(dataDir, 'vigil.pid'), `${process.ppid} ${startTime}\n`)
    for (const argv of [
      ['agent-token', 'list'],
      ['api-key', 'create', '--scope', 'read', '--name', 'x'],
      ['export', 'incidents', '--from', '2019-07-06T00:00Z', '--to', '2019-07-07T00:00Z'],
    ]) {
      const result = await run(...argv, '--data-dir', dataDir)
      expect(result.code, argv.join(' ')).toBe(1)
      expect(result.stderr).toContain(`in use by process ${process.ppid}, which serves no control socket`)
    }
  })

  it('checks the api-key options before anything else', async () => {
    expect((await run('api-key', 'create', '--name', 'x')).stderr).toContain(
      '--scope must be one of read, operate, admin',
    )
    expect((await run('api-key', 'create', '--scope', 'root', '--name', 'x')).code).toBe(2)
    expect((await run('api-key', 'create', '--scope', 'read')).stderr).toContain(
      '--name must say who holds the key',
    )
    expect((await run('api-key', 'revoke', 'abc')).code).toBe(2)
  })
})

describe('a data directory that holds no Vigil store', () => {
  it('is refused by every command but start and migrate, naming it, and is not created', async () => {
    const missing = path.join(dir, 'mistyped-data-dir')
    for (const argv of [
      ['agent-token', 'list'],
      ['api-key', 'create', '--scope', 'read', '--name', 'x'],
      ['export', 'incidents', '--from', '2019-07-06T00:00Z', '--to', '2019-07-07T00:00Z'],
      ['report', 'rally', '--date', '2019-07-06'],
      [
        'import',
        'ooni',
        path.resolve(import.meta.dirname, '../../../test/fixtures/observatories/ooni-raw.jsonl'),
      ],
    ]) {
      const result = await run(...argv, '--data-dir', missing)
      expect(result.code, argv.join(' ')).toBe(1)
      expect(result.stderr).toContain(`the data directory ${missing} holds no Vigil store`)
      expect(existsSync(missing)).toBe(false)
    }
    // An existing directory without a store (a typo that names another directory) is refused the same way.
    const other = mkdtempSync(path.join(dir, 'not-a-store-'))
    const result = await run('agent-token', 'list', '--data-dir', other)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`the data directory ${other} holds no Vigil store`)
    expect(readdirSync(other)).toEqual([])
  })
})

describe('names an operator sets', () => {
  it.each([
    ['\u202E', 'U+202E'],
    ['\u2067', 'U+2067'],
    ['\u200D', 'U+200D'],
    ['\u0007', 'U+0007'],
  ])('refuses an api key name holding %j, naming --name', async (character, code) => {
    const result = await run('api-key', 'create', '--scope', 'read', '--name', `board${character}x`)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`--name holds the invisible or bidirectional control character ${code}`)
  })
})

describe('CsvRecordCounter', () => {
  it('counts records, not line breaks inside quoted fields, across chunk boundaries', () => {
    const counter = new CsvRecordCounter()
    const text = 'id,details\n1,"{""a"":\n""b""}"\n2,plain\n3,"x\ny"\n'
    for (let i = 0; i < text.length; i += 3) counter.feed(Buffer.from(text.slice(i, i + 3)))
    expect(counter.records).toBe(4)
  })
})

describe('vigil agent-token create', () => {
  it('refuses a vantage id an agent could not key its records under', async () => {
    for (const vantage of ['kz:1', 'kz 1', '']) {
      const result = await run('agent-token', 'create', '--vantage', vantage, '--data-dir', dir)
      expect(result.code, vantage).toBe(2)
    }
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
