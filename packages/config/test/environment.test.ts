// ${NAME} references in values, and secrets that may only come from the environment.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are the config file's own ${NAME} syntax
import { parseConfig } from '@vigil/config'
import { describe, expect, it } from 'vitest'
import { issuesOf, MINIMAL, withAppended, withLine } from './fixture.js'

describe('environment references', () => {
  it('expand ${VAR} and ${VAR:-default} in string values', () => {
    const text = withLine(3, '  id: ${VANTAGE_ID}-${VANTAGE_SUFFIX:-1}')
    expect(parseConfig(text, 'test.yaml', { VANTAGE_ID: 'kz-almaty' }).vantage.id).toBe('kz-almaty-1')
    expect(parseConfig(text, 'test.yaml', { VANTAGE_ID: 'kz-almaty', VANTAGE_SUFFIX: '7' }).vantage.id).toBe(
      'kz-almaty-7',
    )
    // An empty variable takes the default too, as in the shell.
    expect(parseConfig(text, 'test.yaml', { VANTAGE_ID: 'kz', VANTAGE_SUFFIX: '' }).vantage.id).toBe('kz-1')
  })

  it('read an unquoted reference as the number or boolean it expands to, a quoted one as text', () => {
    const text = withAppended(`smtp:
  port: \${SMTP_PORT:-1025}
  secure: \${SMTP_SECURE:-false}
  from: "\${SMTP_FROM:-vigil@localhost}"
`)
    expect(parseConfig(text, 'test.yaml', {}).smtp).toMatchObject({
      port: 1025,
      secure: false,
      from: 'vigil@localhost',
    })
    expect(parseConfig(text, 'test.yaml', { SMTP_PORT: '465', SMTP_SECURE: 'true' }).smtp).toMatchObject({
      port: 465,
      secure: true,
    })
    const quoted = withAppended(`api:
  port: "\${API_PORT:-8080}"
`)
    expect(issuesOf(quoted)).toEqual([
      { file: 'config/test.yaml', path: 'api.port', line: 27, message: 'expected a number, got "8080"' },
    ])
  })

  it('leave an empty optional value unset', () => {
    const text = withAppended(`api:
  publicUrl: \${PUBLIC_URL:-}
`)
    expect(parseConfig(text, 'test.yaml', {}).api.publicUrl).toBeUndefined()
    expect(parseConfig(text, 'test.yaml', { PUBLIC_URL: 'https://vigil.example.org' }).api.publicUrl).toBe(
      'https://vigil.example.org/',
    )
  })

  it('report a missing variable without default with key path and line', () => {
    const issues = issuesOf(withLine(21, '        url: https://${FACEBOOK_HOST}/'))
    expect(issues).toEqual([
      {
        file: 'config/test.yaml',
        path: 'targetGroups[0].targets[0].url',
        line: 21,
        message:
          'environment variable FACEBOOK_HOST is not set (write ${FACEBOOK_HOST:-default} to give a default)',
      },
    ])
  })

  it('report malformed and unclosed references', () => {
    expect(issuesOf(withLine(3, '  id: ${vantage id}'))[0]).toMatchObject({
      path: 'vantage.id',
      line: 3,
      message: 'malformed reference "${vantage id}": expected ${NAME} or ${NAME:-default}',
    })
    expect(issuesOf(withLine(3, '  id: ${VANTAGE_ID'))[0]).toMatchObject({
      path: 'vantage.id',
      line: 3,
      message: 'unclosed reference: expected ${NAME} or ${NAME:-default}',
    })
  })

  it('keep $${ as a literal ${', () => {
    const text = withAppended(`news:
  sources:
    - name: odd
      type: rss
      url: https://example.org/feed?q=$\${x}
`)
    expect(parseConfig(text, 'test.yaml', {}).news.sources[0]?.url).toBe('https://example.org/feed?q=${x}')
  })

  it('never expand inside keys, only values', () => {
    const config = parseConfig(MINIMAL, 'test.yaml', { country: 'XX' })
    expect(config.country).toBe('KZ')
  })
})

describe('secrets', () => {
  const smtp = (password: string) =>
    withAppended(`smtp:
  host: mail.example.org
  user: \${SMTP_USER}
  password: ${password}
`)

  it('come from the environment', () => {
    const config = parseConfig(smtp('${SMTP_PASSWORD}'), 'test.yaml', {
      SMTP_USER: 'vigil',
      SMTP_PASSWORD: 's3cret',
    })
    expect(config.smtp).toMatchObject({ user: 'vigil', password: 's3cret' })
  })

  it('may be optional with an empty default', () => {
    const text = withAppended(`smtp:
  user: \${SMTP_USER:-}
  password: \${SMTP_PASSWORD:-}
`)
    expect(parseConfig(text, 'test.yaml', {}).smtp).toMatchObject({ user: undefined, password: undefined })
  })

  it('written literally in the file are rejected without repeating them', () => {
    for (const literal of [
      'hunter2',
      '"hunter2"',
      '${SMTP_PASSWORD:-hunter2}',
      'pre-${SMTP_PASSWORD}',
      '123456',
    ]) {
      const issues = issuesOf(smtp(literal), { SMTP_USER: 'vigil', SMTP_PASSWORD: 's3cret' })
      expect(issues).toEqual([
        {
          file: 'config/test.yaml',
          path: 'smtp.password',
          line: 29,
          message:
            'a secret must come from the environment, not the file: write ${VIGIL_SMTP_PASSWORD} ' +
            '(or ${VIGIL_SMTP_PASSWORD:-} when it may be unset)',
        },
      ])
      expect(JSON.stringify(issues)).not.toContain('hunter2')
      expect(JSON.stringify(issues)).not.toContain('123456')
    }
  })

  it('include the agent token and webhook bearer tokens', () => {
    const text = withAppended(`agent:
  token: abcdef
alerts:
  receivers:
    - name: hook
      webhook:
        url: https://hooks.example.org/vigil
        bearerToken: xyz
`)
    expect(issuesOf(text).map((issue) => [issue.line, issue.path])).toEqual([
      [27, 'agent.token'],
      [33, 'alerts.receivers[0].webhook.bearerToken'],
    ])
  })

  it('are refused inside URLs', () => {
    const text = withAppended(`agent:
  apiUrl: https://vigil:s3cret@api.example.org/
`)
    expect(issuesOf(text)).toEqual([
      {
        file: 'config/test.yaml',
        path: 'agent.apiUrl',
        line: 27,
        message: 'a URL must not carry a password: put credentials in the environment',
      },
    ])
  })

  it('need both user and password', () => {
    const text = withAppended(`smtp:
  user: \${SMTP_USER}
`)
    expect(issuesOf(text, { SMTP_USER: 'vigil' })).toEqual([
      {
        file: 'config/test.yaml',
        path: 'smtp.password',
        line: 26,
        message: 'smtp.user and smtp.password go together',
      },
    ])
  })
})
