// The Grafana dashboards and the Prometheus rules: generated files up to date, structure Grafana's
// provisioning accepts, fixed datasource uids and no import placeholders.
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { dashboardJson, dashboards } from '../dashboards/build.js'
import { dashboardExpressions, metricNames, ruleExpressions } from './support/metric-names.js'

const root = fileURLToPath(new URL('../', import.meta.url))
const DATASOURCE_UIDS = new Set(['vigil-prometheus', 'vigil-postgres'])

describe('dashboards', () => {
  it('are committed as generated', () => {
    for (const name of Object.keys(dashboards)) {
      expect(
        readFileSync(`${root}dashboards/grafana/${name}.json`, 'utf8'),
        `${name}.json is stale: run pnpm dashboards`,
      ).toBe(dashboardJson(name))
    }
    expect(readdirSync(`${root}dashboards/grafana`).sort()).toEqual(
      Object.keys(dashboards)
        .map((n) => `${n}.json`)
        .sort(),
    )
  })

  it('have the structure Grafana provisioning loads', () => {
    const uids = new Set<string>()
    for (const [name, text] of Object.keys(dashboards).map((n) => [n, dashboardJson(n)] as const)) {
      expect(text, name).not.toContain('${DS_')
      expect(text, name).not.toContain('__inputs')
      const dashboard = JSON.parse(text)
      expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/)
      expect(uids.has(dashboard.uid)).toBe(false)
      uids.add(dashboard.uid)
      expect(typeof dashboard.title).toBe('string')
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36)
      const ids = new Set<number>()
      for (const panel of dashboard.panels) {
        expect(ids.has(panel.id), `${name}: panel id ${panel.id} twice`).toBe(false)
        ids.add(panel.id)
        expect(['timeseries', 'stat', 'table', 'state-timeline', 'bargauge']).toContain(panel.type)
        expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24)
        expect(DATASOURCE_UIDS.has(panel.datasource.uid)).toBe(true)
        expect(panel.targets.length).toBeGreaterThan(0)
        for (const target of panel.targets) {
          expect(target.refId).toMatch(/^[A-Z]$/)
          expect(DATASOURCE_UIDS.has(target.datasource.uid)).toBe(true)
          expect(target.expr.length).toBeGreaterThan(0)
        }
      }
      for (const variable of dashboard.templating.list) {
        expect(variable.type).toBe('query')
        expect(DATASOURCE_UIDS.has(variable.datasource.uid)).toBe(true)
      }
      for (const annotation of dashboard.annotations.list)
        expect(DATASOURCE_UIDS.has(annotation.datasource.uid)).toBe(true)
    }
    expect([...uids].sort()).toEqual(['vigil-rally-day', 'vigil-targets', 'vigil-vantages'])
  })

  it('use the datasource uids the provisioning files declare', () => {
    const datasources = parse(
      readFileSync(`${root}dashboards/provisioning/datasources/vigil.yaml`, 'utf8'),
    ) as {
      datasources: Array<{ uid: string }>
    }
    expect(new Set(datasources.datasources.map((d) => d.uid))).toEqual(DATASOURCE_UIDS)
    const providers = parse(readFileSync(`${root}dashboards/provisioning/dashboards/vigil.yaml`, 'utf8')) as {
      providers: Array<{ type: string; options: { path: string } }>
    }
    expect(providers.providers[0]!.type).toBe('file')
  })

  it('and the alert rules refer to metrics by name only, from a bounded set', () => {
    const names = new Set([...dashboardExpressions(), ...ruleExpressions()].flatMap(metricNames))
    expect(names.size).toBeGreaterThan(15)
    for (const name of names) expect(name).toMatch(/^(probe|vigil)_[a-z0-9_]+$/)
  })
})
