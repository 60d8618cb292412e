// A small valid config that the tests change one line at a time, so the expected line numbers stay put.
import { ConfigError, type ConfigIssue, parseConfig } from '@vigil/config'

export const MINIMAL = `country: KZ
vantage:
  id: test-almaty
  role: in_country
  country: KZ
  region: Almaty
  network:
    asn: 9198
regions:
  - name: Almaty
    timeZone: Asia/Almaty
    aliases: [Алматы, Alma-Ata]
  - name: Aktau
    timeZone: Asia/Aqtau
    aliases: [Актау, Ақтау]
targetGroups:
  - name: social
    interval: 5m
    targets:
      - name: facebook
        url: https://www.facebook.com/
  - name: control
    purpose: control
    targets:
      - url: https://example.com/
`

/** The minimal config with line `line` (1-based) replaced, so every other line keeps its number. */
export function withLine(line: number, replacement: string, text = MINIMAL): string {
  const lines = text.split('\n')
  if (line < 1 || line > lines.length) throw new RangeError(`no line ${line}`)
  lines[line - 1] = replacement
  return lines.join('\n')
}

/** The minimal config with YAML appended at the end (from line 26 on). */
export function withAppended(yaml: string, text = MINIMAL): string {
  return `${text}${yaml.endsWith('\n') ? yaml : `${yaml}\n`}`
}

/** The issues parseConfig reports for `text`; fails the test when it does not throw a ConfigError. */
export function issuesOf(
  text: string,
  env: NodeJS.ProcessEnv = {},
  file = 'config/test.yaml',
): ConfigIssue[] {
  try {
    parseConfig(text, file, env)
  } catch (error) {
    if (error instanceof ConfigError) return error.issues
    throw error
  }
  throw new Error('expected the config to be rejected')
}
