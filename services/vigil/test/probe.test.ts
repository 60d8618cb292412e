// `vigil probe --once --json`: one JSON object per probe, exit 0 even when targets fail.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
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
})
