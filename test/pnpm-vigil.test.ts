// `pnpm vigil start`, run as the README says: it runs the compiled command (building it when stale), and
// however the pnpm process ends (SIGKILL, SIGTERM), Vigil stops too and gives back its port and its data
// directory's lock.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { loopbackConfigYaml, serve } from '../services/prober/test/support.js'
import { REPO_ROOT } from './support/vigil-process.js'
import { waitFor } from './support/wait.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

interface PnpmVigil {
  pnpm: ChildProcess
  /** The pid of the Vigil process itself, from its log. */
  vigilPid: number
  url: string
  dataDir: string
  output(): string
}

async function startWithPnpm(): Promise<PnpmVigil> {
  const site = await serve(() => ({ status: 200, body: '<title>ok</title>' }))
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-pnpm-'))
  cleanups.push(async () => {
    await site.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const config = path.join(dir, 'vigil.yaml')
  writeFileSync(
    config,
    `${loopbackConfigYaml([{ name: 'social', targets: [{ name: 'site', port: site.port }] }])}news: { sources: [] }\n`,
  )
  const dataDir = path.join(dir, 'data')
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info' }
  delete env.DATABASE_URL
  const pnpm = spawn('pnpm', ['vigil', 'start', '--config', config, '--data-dir', dataDir, '--port', '0'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let text = ''
  pnpm.stdout!.on('data', (chunk: Buffer) => {
    text += chunk.toString()
  })
  pnpm.stderr!.on('data', (chunk: Buffer) => {
    text += chunk.toString()
  })
  let vigilPid = 0
  let url = ''
  cleanups.push(() => {
    if (pnpm.exitCode === null && pnpm.signalCode === null) pnpm.kill('SIGKILL')
    if (vigilPid > 0 && isRunning(vigilPid)) process.kill(vigilPid, 'SIGKILL')
  })
  await waitFor(
    'vigil to start under pnpm',
    () => {
      for (const line of text.split('\n')) {
        if (!line.includes('vigil is running')) continue
        const entry = JSON.parse(line) as { pid: number; url: string }
        vigilPid = entry.pid
        url = entry.url
        return true
      }
      if (pnpm.exitCode !== null) throw new Error(`pnpm vigil exited early:\n${text}`)
      return false
    },
    90_000,
    100,
  )
  return { pnpm, vigilPid, url, dataDir, output: () => text }
}

it.each(['SIGKILL', 'SIGTERM'] as const)(
  'stops vigil start when the pnpm process gets %s',
  async (signal) => {
    const run = await startWithPnpm()
    // A process of its own: the wrapper is not Vigil, and Vigil runs the compiled JavaScript.
    expect(run.vigilPid).not.toBe(run.pnpm.pid)
    expect((await fetch(`${run.url}/healthz`)).status).toBe(200)
    expect(existsSync(path.join(run.dataDir, 'vigil.pid'))).toBe(true)

    run.pnpm.kill(signal)
    await waitFor(
      `vigil (pid ${run.vigilPid}) to stop after pnpm got ${signal}`,
      () => !isRunning(run.vigilPid),
      60_000,
      100,
    )
    // It stopped cleanly, as on SIGTERM: the lock is released and the port closed.
    expect(existsSync(path.join(run.dataDir, 'vigil.pid'))).toBe(false)
    await expect(fetch(`${run.url}/healthz`)).rejects.toThrow()
  },
  150_000,
)
