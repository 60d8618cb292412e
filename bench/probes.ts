// Probe throughput and overhead: one round of N HTTP targets on loopback through Vigil's runRound, then the
// same targets at the same concurrency through Prometheus' blackbox_exporter, side by side with the ratio.
// Run: node --import tsx bench/probes.ts [--targets 2000] [--concurrency 100] [--repeat 3]
//
// Fairness: the target server runs in its own process for both; every target is a distinct path, and both
// probers open a fresh connection per probe (blackbox_exporter builds a new HTTP client per probe, Vigil a
// new undici Client), so paths on one port cost the same as many ports would. Added latency is a probe's
// duration minus the server's own time for that path. For blackbox_exporter the duration is that of the
// /probe request as Prometheus would make it; its self-reported probe_duration_seconds is printed too.
import { type ChildProcess, fork, spawn } from 'node:child_process'
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Agent, get } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// By path rather than by name: the benchmark is not a workspace package with dependencies of its own.
import { type HttpTarget, runRound } from '@vigil/probes'

const args = process.argv.slice(2)
function option(name: string, fallback: number): number {
  const index = args.indexOf(`--${name}`)
  const value = index >= 0 ? Number(args[index + 1]) : fallback
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`)
  return value
}

const N = option('targets', 2000)
const CONCURRENCY = option('concurrency', 100)
const TIMEOUT_MS = 5000
const REPEAT = option('repeat', 3)
const WARMUP = 500
const SEQUENTIAL = 300
const BLACKBOX = 'prometheus-blackbox-exporter'

// ---- the target server, in its own process -------------------------------------------------------------

interface TargetServer {
  port: number
  serverTimes(): Promise<Record<string, number>>
  stop(): Promise<void>
}

async function startTargetServer(): Promise<TargetServer> {
  const child = fork(join(import.meta.dirname, 'probes-target.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { port: number }).port))
    child.once('exit', (code) => reject(new Error(`target server exited with ${code}`)))
  })
  return {
    port,
    serverTimes: () =>
      new Promise((resolve) => {
        child.once('message', (message) =>
          resolve((message as { serverMs: Record<string, number> }).serverMs),
        )
        child.send('stats')
      }),
    stop: () => stopChild(child, 'stop'),
  }
}

function stopChild(child: ChildProcess, message?: string): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    if (message !== undefined) child.send(message)
    else child.kill('SIGTERM')
  })
}

function targets(port: number, count: number, prefix: string): HttpTarget[] {
  return Array.from({ length: count }, (_, index) => ({
    kind: 'http' as const,
    name: `${prefix}-${index}`,
    url: `http://127.0.0.1:${port}/${prefix}/${index}`,
  }))
}

function pathOf(url: string): string {
  return new URL(url).pathname
}

// ---- the two probers, behind one shape -------------------------------------------------------------------

interface Prober {
  /** Probes every target with at most `concurrency` in flight; returns [path, ms, ok] per target. */
  round(list: HttpTarget[], concurrency: number): Promise<Sample[]>
  stop(): Promise<void>
}

interface Sample {
  path: string
  ms: number
  ok: boolean
  /** blackbox_exporter's own probe_duration_seconds, in ms. */
  selfMs?: number
}

function startVigil(): Prober {
  return {
    async round(list, concurrency) {
      const samples: Sample[] = []
      await runRound(list, { concurrency, timeoutMs: TIMEOUT_MS }, (result) => {
        const url = result.kind === 'http' || result.kind === 'https' ? result.details.url : ''
        samples.push({ path: pathOf(url), ms: result.durationMs, ok: result.ok })
      })
      return samples
    },
    async stop() {},
  }
}

function blackboxInstalled(): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      accessSync(join(dir, BLACKBOX), constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

/** GET over a kept-alive connection to the exporter; resolves with status and body. */
function fetchText(agent: Agent, port: number, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = get(
      {
        host: '127.0.0.1',
        port,
        path,
        agent,
        headers: { 'x-prometheus-scrape-timeout-seconds': String(TIMEOUT_MS / 1000) },
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        )
        response.on('error', reject)
      },
    )
    request.on('error', reject)
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

function peakRssOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match?.[1] === undefined ? Number.NaN : Number(match[1]) * 1024
}

interface Blackbox extends Prober {
  peakRssBytes(): number
}

async function startBlackbox(): Promise<Blackbox> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'))
  const config = join(dir, 'blackbox.yml')
  writeFileSync(
    config,
    [
      'modules:',
      '  http_2xx:',
      '    prober: http',
      `    timeout: ${TIMEOUT_MS / 1000}s`,
      '    http:',
      '      preferred_ip_protocol: ip4',
      '      ip_protocol_fallback: false',
      '',
    ].join('\n'),
  )
  const port = await freePort()
  const child = spawn(
    BLACKBOX,
    [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=error'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  )
  // As Prometheus scrapes it: kept-alive connections, one per concurrent probe.
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  const stop = async () => {
    agent.destroy()
    await stopChild(child)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    for (let attempt = 0; ; attempt++) {
      if (child.exitCode !== null) throw new Error(`${BLACKBOX} exited with ${child.exitCode}`)
      const healthy = await fetchText(agent, port, '/-/healthy').then(
        (response) => response.status === 200,
        () => false,
      )
      if (healthy) break
      if (attempt > 100) throw new Error(`${BLACKBOX} did not become healthy`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  } catch (error) {
    await stop()
    throw error
  }
  return {
    async round(list, concurrency) {
      const samples: Sample[] = []
      let next = 0
      const worker = async () => {
        while (next < list.length) {
          const target = list[next++]!
          const t0 = performance.now()
          const { text } = await fetchText(
            agent,
            port,
            `/probe?module=http_2xx&target=${encodeURIComponent(target.url)}`,
          )
          const ms = performance.now() - t0
          const seconds = /^probe_duration_seconds ([0-9.e+-]+)$/m.exec(text)?.[1]
          samples.push({
            path: pathOf(target.url),
            ms,
            ok: /^probe_success 1$/m.test(text),
            selfMs: seconds === undefined ? Number.NaN : Number(seconds) * 1000,
          })
        }
      }
      await Promise.all(Array.from({ length: concurrency }, worker))
      return samples
    },
    peakRssBytes: () => peakRssOf(child.pid),
    stop,
  }
}

// ---- measuring -------------------------------------------------------------------------------------------

interface Figures {
  wallMs: number
  probesPerSecond: number
  addedP50: number
  addedP99: number
  failures: number
  /** blackbox_exporter's self-reported probe durations, p50 and p99 in ms. */
  selfP50: number
  selfP99: number
}

function quantile(values: number[], q: number): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

async function measure(
  prober: Prober,
  server: TargetServer,
  list: HttpTarget[],
  concurrency: number,
): Promise<Figures> {
  await server.serverTimes()
  const t0 = performance.now()
  const samples = await prober.round(list, concurrency)
  const wallMs = performance.now() - t0
  const serverMs = await server.serverTimes()
  const added = samples.map((sample) => sample.ms - (serverMs[sample.path] ?? 0))
  return {
    wallMs,
    probesPerSecond: (samples.length / wallMs) * 1000,
    addedP50: quantile(added, 0.5),
    addedP99: quantile(added, 0.99),
    failures: samples.filter((sample) => !sample.ok).length + (list.length - samples.length),
    selfP50: quantile(
      samples.map((sample) => sample.selfMs ?? Number.NaN),
      0.5,
    ),
    selfP99: quantile(
      samples.map((sample) => sample.selfMs ?? Number.NaN),
      0.99,
    ),
  }
}

function median(runs: Figures[]): Figures {
  const sorted = [...runs].sort((a, b) => a.wallMs - b.wallMs)
  return sorted[Math.floor((sorted.length - 1) / 2)]!
}

// ---- report ----------------------------------------------------------------------------------------------

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a'
}

function row(label: string, vigil: string, blackbox: string, ratio: string): string {
  return `${label.padEnd(34)}${vigil.padStart(10)}${blackbox.padStart(20)}${ratio.padStart(13)}`
}

async function main(): Promise<void> {
  const server = await startTargetServer()
  const vigil = startVigil()
  let blackbox: Blackbox | null = null
  let rssSampler: ReturnType<typeof setInterval> | undefined
  try {
    blackbox = blackboxInstalled() ? await startBlackbox() : null
    const probers: Array<[name: 'vigil' | 'blackbox', prober: Prober]> = [['vigil', vigil]]
    if (blackbox !== null) probers.push(['blackbox', blackbox])

    for (const [name, prober] of probers)
      await prober.round(targets(server.port, WARMUP, `warm-${name}`), CONCURRENCY)

    // The machine may be shared: alternate the order each repetition and report the median round of each.
    const vigilRssBefore = process.memoryUsage.rss()
    let vigilPeakRss = vigilRssBefore
    const rounds: Record<string, Figures[]> = { vigil: [], blackbox: [] }
    const sequential: Record<string, Figures> = {}
    for (let repeat = 0; repeat < REPEAT; repeat++) {
      const order = repeat % 2 === 0 ? probers : [...probers].reverse()
      for (const [name, prober] of order) {
        if (name === 'vigil') {
          rssSampler = setInterval(() => {
            vigilPeakRss = Math.max(vigilPeakRss, process.memoryUsage.rss())
          }, 10)
        }
        const list = targets(server.port, N, `${name}-r${repeat}`)
        rounds[name]!.push(await measure(prober, server, list, CONCURRENCY))
        clearInterval(rssSampler)
        vigilPeakRss = Math.max(vigilPeakRss, process.memoryUsage.rss())
      }
    }
    // One probe at a time: the per-probe cost without any queueing for CPU.
    for (const [name, prober] of probers) {
      sequential[name] = await measure(prober, server, targets(server.port, SEQUENTIAL, `seq-${name}`), 1)
    }

    const v = median(rounds.vigil!)
    const b = blackbox === null ? null : median(rounds.blackbox!)
    const ratio = (top: number | undefined, bottom: number) =>
      top === undefined || b === null ? '' : `${fixed(top / bottom, 2)}x`
    const show = (value: number | undefined, digits: number) =>
      value === undefined ? 'not run' : fixed(value, digits)
    const mib = (bytes: number) => bytes / 1024 / 1024

    console.log(
      `probes: ${N} HTTP targets on loopback, one round each, concurrency ${CONCURRENCY}, timeout ${TIMEOUT_MS} ms`,
    )
    console.log('a fresh connection per probe for both; the target server runs in its own process')
    console.log(`median of ${REPEAT} rounds per prober, run alternately\n`)
    console.log(row('', 'vigil', 'blackbox_exporter', 'ratio'))
    console.log(
      row(
        'round wall time (s)',
        fixed(v.wallMs / 1000, 3),
        show(b === null ? undefined : b.wallMs / 1000, 3),
        ratio(b?.wallMs, v.wallMs),
      ),
    )
    console.log(
      row(
        'probes/second',
        fixed(v.probesPerSecond, 0),
        show(b?.probesPerSecond, 0),
        ratio(v.probesPerSecond, b?.probesPerSecond ?? Number.NaN),
      ),
    )
    console.log(
      row(
        'p50 added latency (ms)',
        fixed(v.addedP50, 2),
        show(b?.addedP50, 2),
        ratio(b?.addedP50, v.addedP50),
      ),
    )
    console.log(
      row(
        'p99 added latency (ms)',
        fixed(v.addedP99, 2),
        show(b?.addedP99, 2),
        ratio(b?.addedP99, v.addedP99),
      ),
    )
    const sv = sequential.vigil!
    const sb = sequential.blackbox
    console.log(
      row(
        `p50 added, concurrency 1 (ms)`,
        fixed(sv.addedP50, 3),
        show(sb?.addedP50, 3),
        ratio(sb?.addedP50, sv.addedP50),
      ),
    )
    console.log(
      row(
        `p99 added, concurrency 1 (ms)`,
        fixed(sv.addedP99, 3),
        show(sb?.addedP99, 3),
        ratio(sb?.addedP99, sv.addedP99),
      ),
    )
    const bbRss = blackbox === null ? undefined : mib(blackbox.peakRssBytes())
    console.log(
      row('peak RSS (MiB)', fixed(mib(vigilPeakRss), 1), show(bbRss, 1), ratio(bbRss, mib(vigilPeakRss))),
    )
    console.log(row('failed probes', String(v.failures), b === null ? 'not run' : String(b.failures), ''))
    console.log(
      `\nrounds (s): vigil ${rounds.vigil!.map((r) => fixed(r.wallMs / 1000, 3)).join(' ')}` +
        (b === null
          ? ''
          : `; blackbox_exporter ${rounds.blackbox!.map((r) => fixed(r.wallMs / 1000, 3)).join(' ')}`),
    )
    console.log(`vigil RSS before the rounds (node, tsx, harness): ${fixed(mib(vigilRssBefore), 1)} MiB`)
    if (b !== null) {
      console.log(
        `blackbox_exporter's own probe_duration_seconds, same round: p50 ${fixed(b.selfP50, 2)} ms, ` +
          `p99 ${fixed(b.selfP99, 2)} ms (leaves out the /probe round trip Prometheus pays)`,
      )
      console.log(
        'ratio: blackbox_exporter / vigil for times and memory, vigil / blackbox_exporter for probes/second;\n' +
          '       above 1 means vigil is better',
      )
    } else {
      console.log(
        `\n${BLACKBOX} is not installed: nothing to compare with ` +
          '(apt-get install -y prometheus-blackbox-exporter). Vigil figures only.',
      )
    }
    console.log(`\nround of ${N} under 5 s: ${v.wallMs < 5000 ? 'yes' : 'NO'}`)
    if (b !== null) {
      const asFast = v.addedP50 <= b.addedP50 && v.probesPerSecond >= b.probesPerSecond
      console.log(`vigil at least as fast per probe as blackbox_exporter: ${asFast ? 'yes' : 'NO'}`)
    }
  } finally {
    clearInterval(rssSampler)
    await blackbox?.stop()
    await vigil.stop()
    await server.stop()
  }
}

await main()
