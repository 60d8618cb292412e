// docker-compose.yml: no Docker engine runs here, so check that it parses, that every service is wired
// the way the README says, and that every file it builds from or mounts exists.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

const root = fileURLToPath(new URL('../', import.meta.url))
interface Service {
  build?: string
  image?: string
  command?: string[]
  volumes?: string[]
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[] }
  environment?: Record<string, string>
}
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>
  volumes: Record<string, unknown>
}

describe('docker-compose.yml', () => {
  it('runs PostgreSQL, a one-shot migration, each Vigil service, Prometheus, Grafana and Mailpit', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [
        'grafana',
        'mailpit',
        'migrate',
        'postgres',
        'prometheus',
        'vigil-alerter',
        'vigil-api',
        'vigil-certwatch',
        'vigil-newswatch',
        'vigil-prober',
      ].sort(),
    )
    expect(compose.services.migrate!.command).toEqual(['migrate'])
    expect(compose.services.migrate!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } })
    const only = Object.entries(compose.services)
      .filter(([name]) => name.startsWith('vigil-'))
      .map(([, service]) => service.command![service.command!.indexOf('--only') + 1])
    expect(only.sort()).toEqual([
      'alerter,notifier,retention',
      'api',
      'certwatch',
      'newswatch,observatories',
      'prober',
    ])
    for (const [name, service] of Object.entries(compose.services)) {
      if (name === 'migrate') continue
      expect(service.healthcheck, `${name} has a healthcheck`).toBeDefined()
      if (name.startsWith('vigil-')) {
        expect(service.depends_on).toEqual({ migrate: { condition: 'service_completed_successfully' } })
        expect(service.environment!.DATABASE_URL).toContain('@postgres:5432/vigil')
      }
    }
  })

  it('builds from files and mounts paths that exist', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.build)
        expect(existsSync(path.join(root, service.build, 'Dockerfile')), `${name} Dockerfile`).toBe(true)
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!
        if (source.startsWith('./'))
          expect(existsSync(path.join(root, source)), `${name} mounts ${source}`).toBe(true)
        else expect(Object.keys(compose.volumes)).toContain(source)
      }
    }
    expect(existsSync(path.join(root, '.env.example'))).toBe(true)
  })

  it('publishes ports on loopback only, and the api listens on every interface only with keys required', () => {
    for (const [name, service] of Object.entries(compose.services) as Array<
      [string, Service & { ports?: string[] }]
    >) {
      for (const port of service.ports ?? [])
        expect(port, name).toMatch(/^(127\.0\.0\.1|\$\{VIGIL_API_PUBLISH:-127\.0\.0\.1\}):/)
      if (!name.startsWith('vigil-')) continue
      const command = service.command!
      expect(command[command.indexOf('--metrics-listen') + 1], name).toBe('0.0.0.0:9464')
      // Only the api listens beyond the container's loopback, where every route but health needs a key.
      if (name !== 'vigil-api') expect(command, name).not.toContain('--host')
    }
  })

  it('points Prometheus at the metrics listener of every Vigil service', () => {
    const prometheus = parse(readFileSync(path.join(root, 'config/prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>
    }
    const targets = prometheus.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets))
    for (const name of Object.keys(compose.services).filter((n) => n.startsWith('vigil-'))) {
      expect(targets).toContain(`${name}:9464`)
    }
  })
})
