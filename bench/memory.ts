// Resident memory (RSS) of Vigil's processes, beside their references, in one run:
// - `vigil start` on the embedded store and on a PostgreSQL server, side by side with the same config
//   (loopback targets, a rally on now so the 30 s cadence applies): after start, then sampled through the
//   rally period (30 minutes unless --rally-minutes says otherwise), with the growth between its halves;
// - `vigil agent` idle and at the peak of a round of --agent-targets (2,000) targets, uploading to the
//   server-backed `vigil start`;
// - blackbox_exporter (Debian's prometheus-blackbox-exporter) idle and at the peak of the same round, as
//   Prometheus would drive it: one /probe request per target, 16 at a time (the agent's concurrency).
// Targets: embedded at most 100 MiB above server; no growth over the rally period; agent idle < 80 MiB,
// peak < 120 MiB.
// Run: node --import tsx bench/memory.ts [--rally-minutes 30] [--targets 100] [--agent-targets 2000]
//        [--runner compiled|source]
// Vigil runs with the node options of package.json's `vigil` script, as `pnpm vigil` runs it.
// `--runner source` runs the TypeScript sources through tsx, as `pnpm vigil` did before the build step.
// Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) to create and drop a fresh database.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createAgentToken, ensureVantage, openStore } from '@vigil/store'
import postgres from 'postgres'
import { loopbackConfigYaml } from '../services/prober/test/support.js'

const { values } = parseArgs({
  options: {
    'rally-minutes': { type: 'string', default: '30' },
    targets: { type: 'string', default: '100' },
    'agent-targets': { type: 'string', default: '2000' },
    runner: { type: 'string', default: 'compiled' },
  },
})
const RALLY_MINUTES = Number(values['rally-minutes'])
const TARGETS = Number(values.targets)
const AGENT_TARGETS = Number(values['agent-targets'])
const RUNNER = values.runner
if (!(RALLY_MINUTES > 0) || !Number.isInteger(TARGETS) || !Number.isInteger(AGENT_TARGETS)) {
  throw new Error('--rally-minutes must be positive, --targets and --agent-targets whole numbers')
}
if (RUNNER !== 'compiled' && RUNNER !== 'source') throw new Error('--runner is compiled or source')

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const MiB = 1_048_576
const EMBEDDED_OVER_SERVER_MIB = 100
const AGENT_IDLE_MIB = 80
const AGENT_PEAK_MIB = 120

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) * 1024
}
const mib = (bytes: number) => (bytes / MiB).toFixed(0)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Samples a process' RSS every `everyMs` until stopped; the maximum and the samples. */
function sampler(pid: number, everyMs = 250) {
  const samples: Array<{ at: number; rss: number }> = []
  const take = () => {
    try {
      samples.push({ at: Date.now(), rss: rssBytes(pid) })
    } catch {
      // The process has ended.
    }
  }
  take()
  const timer = setInterval(take, everyMs)
  return {
    samples,
    max: () => Math.max(...samples.map((s) => s.rss)),
    stop: () => clearInterval(timer),
  }
}

/** A loopback site answering every path with a small page; counts requests per first path segment. */
async function site(): Promise<{ server: Server; port: number; hits: Map<string, number> }> {
  const hits = new Map<string, number>()
  const server = createServer((request, response) => {
    const prefix = (request.url ?? '/').split('/')[1] ?? ''
    hits.set(prefix, (hits.get(prefix) ?? 0) + 1)
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    response.end('<html><head><title>ok</title></head><body>ok</body></html>')
  })
  server.keepAliveTimeout = 1_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as AddressInfo).port, hits }
}

/** A rally on now, in local time of Almaty (UTC+5), so the prober runs at its rally cadence. */
function rallyNow(): string {
  const local = (offsetHours: number) =>
    new Date(Date.now() + (5 + offsetHours) * 3_600_000).toISOString().slice(0, 16)
  return `rallies:\n  - { name: bench, city: all, start: '${local(-1)}', end: '${local(RALLY_MINUTES / 60 + 2)}' }\n`
}

/** The node options of package.json's `vigil` script (`node --max-semi-space-size=4 scripts/vigil.mjs`). */
function scriptNodeOptions(): string[] {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>
  }
  const words = manifest.scripts.vigil!.split(/\s+/)
  return words.slice(1, words.indexOf('scripts/vigil.mjs')).filter((word) => word.startsWith('--'))
}

/** `vigil` as `pnpm vigil` runs it (compiled), or as it ran before the build step (source, through tsx). */
function command(): string[] {
  return RUNNER === 'compiled'
    ? [...scriptNodeOptions(), path.join(ROOT, 'services/vigil/dist/main.js')]
    : ['--import', 'tsx', path.join(ROOT, 'services/vigil/src/main.ts')]
}

interface Running {
  child: ChildProcess
  pid: number
  url: string
  logs: string[]
}

async function startVigil(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<Running> {
  const child = spawn(process.execPath, [...command(), ...args], {
    cwd: ROOT,
    env: { ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const logs: string[] = []
  let buffered = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`vigil ${args[0]} did not start:\n${logs.join('\n')}`)),
      180_000,
    )
    child.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString()))
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) {
        logs.push(line)
        if (ready.test(line)) {
          clearTimeout(timer)
          resolve(String((JSON.parse(line) as { url?: string }).url ?? ''))
        }
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`vigil ${args[0]} exited with ${code}:\n${logs.join('\n')}`))
    })
  })
  return { child, pid: child.pid!, url, logs }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

async function main(): Promise<void> {
  if (RUNNER === 'compiled')
    execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT })
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-memory-'))
  const targets = await site()
  const dbName = `vigil_bench_memory_${randomUUID().replaceAll('-', '').slice(0, 12)}`
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${dbName}`)
  const serverUrl = new URL(ADMIN_URL)
  serverUrl.pathname = `/${dbName}`
  const children: ChildProcess[] = []
  try {
    const startConfig = path.join(dir, 'start.yaml')
    writeFileSync(
      startConfig,
      `${loopbackConfigYaml([
        {
          name: 'social',
          targets: Array.from({ length: TARGETS }, (_, i) => ({
            name: `t${i}`,
            port: targets.port,
            path: `/s/${i}`,
          })),
        },
      ])}news: { sources: [] }\n${rallyNow()}`,
    )
    const env = { ...process.env }
    delete env.DATABASE_URL
    const ready = /vigil is running/
    console.log(
      `vigil start on both stores (${RUNNER} JavaScript), ${TARGETS} loopback targets at the rally cadence (30 s) for ${RALLY_MINUTES} min...`,
    )
    const [embedded, server] = await Promise.all([
      startVigil(
        ['start', '--config', startConfig, '--data-dir', path.join(dir, 'data'), '--port', '0'],
        env,
        ready,
      ),
      startVigil(
        ['start', '--config', startConfig, '--port', '0'],
        { ...env, DATABASE_URL: serverUrl.href },
        ready,
      ),
    ])
    children.push(embedded.child, server.child)
    const embeddedSamples = sampler(embedded.pid, 10_000)
    const serverSamples = sampler(server.pid, 10_000)
    await sleep(60_000)
    const idle = { embedded: rssBytes(embedded.pid), server: rssBytes(server.pid) }

    // The agent's round, uploading to the server-backed Vigil, while the rally period runs.
    const agentConfig = path.join(dir, 'agent.yaml')
    writeFileSync(
      agentConfig,
      `${loopbackConfigYaml([
        {
          name: 'social',
          interval: '30m',
          rallyInterval: '30m',
          targets: Array.from({ length: AGENT_TARGETS }, (_, i) => ({
            name: `a${i}`,
            port: targets.port,
            path: `/a/${i}`,
          })),
        },
      ])}news: { sources: [] }\n`,
    )
    const store = await openStore({ databaseUrl: serverUrl.href })
    await ensureVantage(store.sql, {
      id: 'test-almaty',
      country: 'KZ',
      region: 'Almaty',
      asn: 9198,
      network: null,
      role: 'in_country',
    })
    const { token } = await createAgentToken(store.sql, 'test-almaty')
    await store.close()
    console.log(`vigil agent, one round of ${AGENT_TARGETS} targets...`)
    const agentStarted = Date.now()
    const agent = await startVigil(
      ['agent', '--api', server.url, '--config', agentConfig, '--spool-dir', path.join(dir, 'spool')],
      { ...env, VIGIL_AGENT_TOKEN: token },
      /vigil is running as agent/,
    )
    children.push(agent.child)
    const agentSamples = sampler(agent.pid)
    while ((targets.hits.get('a') ?? 0) < AGENT_TARGETS) {
      if (agent.child.exitCode !== null || agent.child.signalCode !== null) {
        throw new Error(`vigil agent ended during its round:\n${agent.logs.join('\n')}`)
      }
      await sleep(250)
    }
    const roundSeconds = (Date.now() - agentStarted) / 1000
    // The round's upload (every 30 s), then idle long enough for V8's memory reducer to give back the
    // young generation the round grew (it acts after some idle seconds).
    await sleep(120_000)
    agentSamples.stop()
    const agentPeak = agentSamples.max()
    const agentIdle = rssBytes(agent.pid)
    await stop(agent.child)

    // blackbox_exporter on the same round, as the reference.
    let blackbox: { idle: number; peak: number; seconds: number } | string = 'not installed'
    const exporter = '/usr/bin/prometheus-blackbox-exporter'
    if (existsSync(exporter)) {
      const listen = await new Promise<number>((resolve) => {
        const probe = createServer().listen(0, '127.0.0.1', () => {
          const { port } = probe.address() as AddressInfo
          probe.close(() => resolve(port))
        })
      })
      writeFileSync(
        path.join(dir, 'blackbox.yml'),
        'modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n',
      )
      const child = spawn(
        exporter,
        [`--config.file=${path.join(dir, 'blackbox.yml')}`, `--web.listen-address=127.0.0.1:${listen}`],
        { stdio: 'ignore' },
      )
      children.push(child)
      const base = `http://127.0.0.1:${listen}`
      for (;;) {
        try {
          if ((await fetch(`${base}/-/healthy`)).ok) break
        } catch {
          // Not listening yet.
        }
        await sleep(100)
      }
      await sleep(2_000)
      const idleRss = rssBytes(child.pid!)
      const samples = sampler(child.pid!)
      const began = Date.now()
      let next = 0
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < AGENT_TARGETS) {
            const i = next++
            const target = encodeURIComponent(`http://127.0.0.1:${targets.port}/b/${i}`)
            const response = await fetch(`${base}/probe?module=http_2xx&target=${target}`)
            const text = await response.text()
            if (!/^probe_success 1$/m.test(text)) throw new Error(`blackbox_exporter probe ${i} failed`)
          }
        }),
      )
      const seconds = (Date.now() - began) / 1000
      await sleep(2_000)
      samples.stop()
      blackbox = { idle: idleRss, peak: samples.max(), seconds }
      await stop(child)
    }

    // The rest of the rally period.
    const remaining = agentStarted + RALLY_MINUTES * 60_000 - Date.now()
    if (remaining > 0) await sleep(remaining)
    embeddedSamples.stop()
    serverSamples.stop()
    const growth = (samples: Array<{ at: number; rss: number }>) => {
      const afterIdle = samples.filter((s) => s.at >= agentStarted)
      const half = Math.floor(afterIdle.length / 2)
      const mean = (part: typeof afterIdle) =>
        part.reduce((sum, s) => sum + s.rss, 0) / Math.max(1, part.length)
      return mean(afterIdle.slice(half)) - mean(afterIdle.slice(0, half))
    }
    const after = { embedded: rssBytes(embedded.pid), server: rssBytes(server.pid) }
    const rallyHits = targets.hits.get('s') ?? 0
    await Promise.all([stop(embedded.child), stop(server.child)])

    const rows: string[][] = [
      ['figure', 'MiB', 'reference', 'verdict'],
      [
        'vigil start, embedded, 60 s after start',
        mib(idle.embedded),
        `server + ${EMBEDDED_OVER_SERVER_MIB} = ${mib(idle.server + EMBEDDED_OVER_SERVER_MIB * MiB)}`,
        idle.embedded - idle.server <= EMBEDDED_OVER_SERVER_MIB * MiB ? 'met' : 'NOT met',
      ],
      ['vigil start, server, 60 s after start', mib(idle.server), '', ''],
      [
        `vigil start, embedded, after ${RALLY_MINUTES} min of rally cadence`,
        mib(after.embedded),
        `server + ${EMBEDDED_OVER_SERVER_MIB} = ${mib(after.server + EMBEDDED_OVER_SERVER_MIB * MiB)}`,
        after.embedded - after.server <= EMBEDDED_OVER_SERVER_MIB * MiB ? 'met' : 'NOT met',
      ],
      [`vigil start, server, after ${RALLY_MINUTES} min of rally cadence`, mib(after.server), '', ''],
      [
        'vigil start, embedded, growth (second half of the period minus first)',
        mib(growth(embeddedSamples.samples)),
        `server: ${mib(growth(serverSamples.samples))}`,
        '',
      ],
      [
        'vigil agent, idle after its round',
        mib(agentIdle),
        `< ${AGENT_IDLE_MIB}; blackbox_exporter ${typeof blackbox === 'string' ? blackbox : mib(blackbox.idle)}`,
        agentIdle < AGENT_IDLE_MIB * MiB ? 'met' : 'NOT met',
      ],
      [
        `vigil agent, peak of a ${AGENT_TARGETS}-target round (${roundSeconds.toFixed(0)} s)`,
        mib(agentPeak),
        `< ${AGENT_PEAK_MIB}; blackbox_exporter ${typeof blackbox === 'string' ? blackbox : `${mib(blackbox.peak)} (${blackbox.seconds.toFixed(0)} s)`}`,
        agentPeak < AGENT_PEAK_MIB * MiB ? 'met' : 'NOT met',
      ],
    ]
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
    console.log('')
    for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  '))
    console.log(
      `\nrally-cadence probes served to both vigil start processes: ${rallyHits}; times on a shared machine are noisy, memory is not`,
    )
  } finally {
    for (const child of children) await stop(child).catch(() => {})
    const closed = new Promise<void>((resolve) => targets.server.close(() => resolve()))
    targets.server.closeAllConnections()
    await closed
    await admin.unsafe(`drop database if exists ${dbName} with (force)`)
    await admin.end()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
