// The metric names the dashboards and the alert rules query, for the tests that check them.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { dashboards } from '../../dashboards/build.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

/** Every Vigil or blackbox-style metric name a PromQL expression mentions. */
export function metricNames(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\b((?:probe|vigil)_[a-z0-9_]+)\b/g)].map((m) => m[1]!))]
}

export function dashboardExpressions(): string[] {
  const exprs: string[] = []
  for (const dashboard of Object.values(dashboards)) {
    for (const panel of dashboard.panels) for (const target of panel.targets) exprs.push(target.expr)
    for (const variable of dashboard.templating.list) exprs.push(variable.query.query)
    for (const annotation of dashboard.annotations.list as Array<{ expr?: string }>)
      if (annotation.expr) exprs.push(annotation.expr)
  }
  return exprs
}

export function ruleExpressions(): string[] {
  const rules = parse(readFileSync(`${root}config/prometheus/rules/vigil.rules.yml`, 'utf8')) as {
    groups: Array<{ rules: Array<{ expr: string }> }>
  }
  return rules.groups.flatMap((group) => group.rules.map((rule) => rule.expr))
}
