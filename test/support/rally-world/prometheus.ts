// A real Prometheus on loopback (the Debian `prometheus` package that scripts/install-system-packages.sh
// installs), scraping one metrics address every second and evaluating the repository's alert rules
// (config/prometheus/rules) every second, so a rule without `for` fires within about two seconds.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { REPO_ROOT } from '../vigil-process.js'
import { freePort, waitFor } from '../wait.js'

export interface PrometheusAlert {
  labels: Record<string, string>
  state: 'pending' | 'firing' | 'inactive'
  activeAt: string
}

export interface RunningPrometheus {
  url: string
  /** Alerts pending or firing now (`GET /api/v1/alerts`). */
  alerts(): Promise<PrometheusAlert[]>
  output(): string
  stop(): Promise<void>
}

/** Starts `prometheus` scraping `target` (`host:port`, path /metrics); resolves once it is ready. */
export async function startPrometheus(dir: string, target: string): Promise<RunningPrometheus> {
  mkdirSync(path.join(dir, 'tsdb'), { recursive: true })
  const config = path.join(dir, 'prometheus.yml')
  writeFileSync(
    config,
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'rule_files:',
      `  - ${JSON.stringify(path.join(REPO_ROOT, 'config/prometheus/rules/*.yml'))}`,
      'scrape_configs:',
      '  - job_name: vigil',
      `    static_configs: [{ targets: [${JSON.stringify(target)}] }]`,
      '',
    ].join('\n'),
  )
  const port = await freePort()
  let text = ''
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  child.stdout!.on('data', (chunk: Buffer) => {
    text += chunk.toString()
  })
  child.stderr!.on('data', (chunk: Buffer) => {
    text += chunk.toString()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = `http://127.0.0.1:${port}`
  await waitFor(
    'prometheus ready',
    async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${text}`)
      return fetch(`${url}/-/ready`).then(
        (response) => response.ok,
        () => false,
      )
    },
    30_000,
    200,
  )
  return {
    url,
    async alerts() {
      const body = (await (await fetch(`${url}/api/v1/alerts`)).json()) as {
        data: { alerts: PrometheusAlert[] }
      }
      return body.data.alerts
    },
    output: () => text,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}
