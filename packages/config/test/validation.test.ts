// What a person sees when the config is wrong: each problem with file, key path and line, all at once.
import { ConfigError, formatConfigIssues, parseConfig } from '@vigil/config'
import { isVigilError } from '@vigil/errors'
import { describe, expect, it } from 'vitest'
import { issuesOf, MINIMAL, withAppended, withLine } from './fixture.js'

describe('parseConfig on a valid file', () => {
  it('accepts the minimal config and fills in defaults', () => {
    const config = parseConfig(MINIMAL, 'config/test.yaml', {})
    expect(config.file).toBe('config/test.yaml')
    expect(config.vantage).toEqual({
      id: 'test-almaty',
      role: 'in_country',
      country: 'KZ',
      region: 'Almaty',
      network: { asn: 9198, name: undefined, type: 'unknown' },
    })
    const [social, control] = config.targetGroups
    expect(social?.interval).toBe(300_000)
    expect(social?.rallyInterval).toBe(30_000)
    expect(social?.timeout).toBe(10_000)
    expect(social?.probes).toEqual(['dns', 'tcp', 'tls', 'https'])
    expect(social?.controlGroup).toBe('control')
    expect(social?.vantageRoles).toEqual(['in_country', 'control'])
    expect(control?.targets[0]).toMatchObject({
      name: 'example.com',
      host: 'example.com',
      port: 443,
      sni: 'example.com',
    })
    expect(config.thresholds.blackout).toMatchObject({ warning: 0.8, critical: 0.5 })
    expect(config.thresholds.monitorOffline.group).toBe('control')
    expect(config.thresholds.blocking).toEqual({
      failureShare: 0.8,
      controlSuccessShare: 0.8,
      minSamples: 3,
      minFailures: 2,
    })
    expect(config.thresholds.throttling).toEqual({
      factor: 3,
      minExtra: 200,
      minSamples: 5,
      slowBodyBelow: 1_000_000,
    })
    expect(config.api).toMatchObject({ host: '127.0.0.1', port: 8080 })
    expect(config.store.dataDir).toBe('./data')
    expect(config.smtp).toMatchObject({ host: 'localhost', port: 587, secure: false, user: undefined })
  })
})

describe('parseConfig rejects', () => {
  it('an unknown key, naming file, key path and line, and suggesting the known key', () => {
    const issues = issuesOf(withLine(21, '        urll: https://www.facebook.com/'))
    expect(issues).toEqual([
      {
        file: 'config/test.yaml',
        path: 'targetGroups[0].targets[0].urll',
        line: 21,
        message: 'unknown key "urll" (did you mean "url"?)',
      },
    ])
  })

  it('a throttling rate without its unit', () => {
    const issues = issuesOf(
      withAppended('thresholds:\n  throttling: { minExtra: 1s, slowBodyBelow: 128000 }'),
    )
    expect(issues).toEqual([
      expect.objectContaining({
        path: 'thresholds.throttling.slowBodyBelow',
        message: 'expected a rate such as "128kbit/s" or "1Mbit/s", got 128000',
      }),
    ])
  })

  it('an unknown top-level key', () => {
    const issues = issuesOf(withAppended('colour: red'))
    expect(issues).toEqual([
      { file: 'config/test.yaml', path: 'colour', line: 26, message: 'unknown key "colour"' },
    ])
  })

  it('a wrong type, showing what was found', () => {
    const issues = issuesOf(withLine(18, '    interval: 5'))
    expect(formatConfigIssues(issues)).toBe(
      'config/test.yaml:18: targetGroups[0].interval: expected a duration such as "5m", got 5',
    )
  })

  it('a wrong type for a plain zod type', () => {
    const issues = issuesOf(withLine(8, '    asn: [9198]'))
    expect(issues).toEqual([
      {
        file: 'config/test.yaml',
        path: 'vantage.network.asn',
        line: 8,
        message: 'expected an AS number such as 9198 or "AS9198", got a list',
      },
    ])
    const enumIssues = issuesOf(withLine(4, '  role: inside'))
    expect(enumIssues[0]).toMatchObject({
      path: 'vantage.role',
      line: 4,
      message: 'expected "in_country" or "outside" or "control", got "inside"',
    })
  })

  it('a missing required key at the line of its parent', () => {
    const issues = issuesOf(withLine(17, '  - description: no name'))
    expect(issues).toEqual([
      {
        file: 'config/test.yaml',
        path: 'targetGroups[0].name',
        line: 17,
        message: 'missing required key "name"',
      },
    ])
    const nested = issuesOf(withLine(4, '  # role left out'))
    expect(nested).toEqual([
      { file: 'config/test.yaml', path: 'vantage.role', line: 2, message: 'missing required key "role"' },
    ])
  })

  it('a key written without a value', () => {
    const issues = issuesOf(withLine(11, '    timeZone:'))
    expect(issues).toEqual([
      { file: 'config/test.yaml', path: 'regions[0].timeZone', line: 11, message: 'has no value' },
    ])
  })

  it('every problem at once, in line order', () => {
    let text = withLine(4, '  role: inside')
    text = withLine(14, '    timeZone: Asia/Nowhere', text)
    text = withLine(18, '    interval: soon', text)
    text = withLine(21, '        url: ftp://www.facebook.com/', text)
    const issues = issuesOf(text)
    expect(issues.map((issue) => [issue.line, issue.path])).toEqual([
      [4, 'vantage.role'],
      [14, 'regions[1].timeZone'],
      [18, 'targetGroups[0].interval'],
      [21, 'targetGroups[0].targets[0].url'],
    ])
    expect(issues[1]?.message).toBe(
      'unknown time zone "Asia/Nowhere": expected an IANA name such as "Asia/Almaty"',
    )
    expect(issues[3]?.message).toBe('expected a http or https URL, got "ftp://www.facebook.com/"')
  })

  it('a YAML syntax error with its line', () => {
    const issues = issuesOf(withLine(12, '    aliases: [Алматы, Alma-Ata'))
    expect(issues.length).toBeGreaterThan(0)
    expect(issues[0]?.path).toBe('')
    expect(issues[0]?.message).toMatch(/^YAML syntax: /)
    expect(issues[0]?.message).not.toMatch(/at line/)
    expect(issues[0]?.line).toBeGreaterThanOrEqual(12)
  })

  it('a duplicated key', () => {
    const issues = issuesOf(withLine(5, '  id: again'))
    expect(issues[0]).toMatchObject({ line: 5, message: expect.stringMatching(/unique/) })
  })

  it('aliases that would expand without bound', () => {
    const bomb = withAppended(`x:
  a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
  e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
`)
    expect(issuesOf(bomb)[0]?.message).toMatch(/^YAML aliases: /)
  })

  it('an empty file', () => {
    expect(issuesOf('# nothing here\n')).toEqual([
      { file: 'config/test.yaml', path: '', line: 1, message: 'the file is empty' },
    ])
  })

  it('with a ConfigError that has a stable code and a readable message', () => {
    try {
      parseConfig(withLine(18, '    interval: 5'), 'config/test.yaml', {})
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      expect(isVigilError(error, 'CONFIG_INVALID')).toBe(true)
      expect((error as ConfigError).message).toBe(
        'config/test.yaml has a problem:\n' +
          'config/test.yaml:18: targetGroups[0].interval: expected a duration such as "5m", got 5',
      )
    }
  })
})

describe('checks across keys', () => {
  it('a rally in an undeclared city, with start after end', () => {
    const issues = issuesOf(
      withAppended(`rallies:
  - name: Test rally
    city: [Almaty, Shymkent]
    start: 2019-07-06T18:00
    end: 2019-07-06T10:00
`),
    )
    expect(issues).toEqual([
      {
        file: 'config/test.yaml',
        path: 'rallies[0].city[1]',
        line: 28,
        message: 'unknown region "Shymkent": declare it under regions (or add it as an alias)',
      },
      {
        file: 'config/test.yaml',
        path: 'rallies[0].end',
        line: 30,
        message: 'must be after start (2019-07-06T18:00:00)',
      },
    ])
  })

  it('duplicate group names, an unknown vantage region and a fast interval slower than the normal one', () => {
    let text = withLine(6, '  region: Semey')
    text = withLine(18, '    rallyInterval: 10m', text)
    text = withLine(22, '  - name: social', text)
    const issues = issuesOf(text)
    expect(issues.map((issue) => [issue.line, issue.path, issue.message])).toEqual([
      [6, 'vantage.region', 'unknown region "Semey": declare it under regions (or add it as an alias)'],
      [18, 'targetGroups[0].rallyInterval', 'must not be longer than interval (5m, its default)'],
      [22, 'targetGroups[1].name', 'another target group is already named "social"'],
    ])
  })

  it('a region name or alias holding an invisible or bidirectional control character', () => {
    const issues = issuesOf(withLine(15, '    aliases: [Актау, "Ак\u202Eтау", "Aq\u200Btau"]'))
    expect(issues.map((issue) => [issue.line, issue.path, issue.message])).toEqual([
      [15, 'regions[1].aliases[1]', 'holds the invisible or bidirectional control character U+202E'],
      [15, 'regions[1].aliases[2]', 'holds the invisible or bidirectional control character U+200B'],
    ])
  })

  it('an alias claimed by two regions', () => {
    const issues = issuesOf(withLine(15, '    aliases: [Актау, Алматы]'))
    expect(issues).toEqual([
      {
        file: 'config/test.yaml',
        path: 'regions[1].aliases[1]',
        line: 15,
        message: '"Алматы" already names the region "Almaty"',
      },
    ])
  })

  it('two regions with the same name', () => {
    const issues = issuesOf(withLine(13, '  - name: almaty'))
    expect(issues).toEqual([
      {
        file: 'config/test.yaml',
        path: 'regions[1].name',
        line: 13,
        message: '"almaty" already names the region "Almaty"',
      },
    ])
  })

  it('routes to a receiver that does not exist, and a target without url for https', () => {
    let text = withLine(25, '      - host: example.com')
    text = withAppended(
      `alerts:
  receivers:
    - name: monitors
      email: [monitors@example.org]
  routes:
    - receiver: monitor
`,
      text,
    )
    const issues = issuesOf(text)
    expect(issues.map((issue) => [issue.line, issue.path, issue.message])).toEqual([
      [25, 'targetGroups[1].targets[0].url', 'probe kind "https" needs a url'],
      [31, 'alerts.routes[0].receiver', 'no receiver is named "monitor"'],
    ])
  })

  it('a target network that is not mobile, fixed or unknown', () => {
    const issues = issuesOf(withLine(21, '        url: https://www.facebook.com/\n        network: cellular'))
    expect(issues.map((issue) => [issue.line, issue.path])).toEqual([
      [22, 'targetGroups[0].targets[0].network'],
    ])
    expect(issues[0]!.message).toMatch(/mobile.*fixed.*unknown/)
  })

  it('an html news source without selectors', () => {
    const issues = issuesOf(
      withAppended(`news:
  sources:
    - name: vlast
      type: html
      url: https://vlast.kz/novosti/
`),
    )
    expect(issues).toEqual([
      {
        file: 'config/test.yaml',
        path: 'news.sources[0]',
        line: 28,
        message: 'an html source needs html selectors (item, title, link)',
      },
    ])
  })
})

describe('observatories', () => {
  it('are off by default and poll the monitored country when enabled', () => {
    const quiet = parseConfig(MINIMAL, 'config/test.yaml', {})
    expect(quiet.observatories.ooni).toMatchObject({ enabled: false, countries: ['KZ'] })
    expect(quiet.observatories.ioda).toMatchObject({
      enabled: false,
      apiUrl: 'https://api.ioda.inetintel.cc.gatech.edu/v2/',
      countries: ['KZ'],
      regions: [],
      asns: [],
      interval: 600_000,
    })
    const on = parseConfig(
      withAppended(
        'observatories:\n  ioda:\n    enabled: true\n    regions: ["1473"]\n    asns: [AS9198, 29355]\n',
      ),
      'config/test.yaml',
      {},
    )
    expect(on.observatories.ioda).toMatchObject({ enabled: true, regions: ['1473'], asns: [9198, 29355] })
  })

  it('refuse a region that is not an IODA region code, naming key and line', () => {
    const [issue] = issuesOf(withAppended('observatories:\n  ioda:\n    regions: [Almaty]\n'))
    expect(issue).toMatchObject({ path: 'observatories.ioda.regions[0]', line: 28 })
    expect(issue!.message).toContain('IODA region code')
  })
})
