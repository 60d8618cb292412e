// Signals seen from one vantage: services blocked while the control set answers, DNS answers tampered
// with, and connections that succeed but far slower than usual (throttling).
import type {
  DnsTamperingEvidence,
  ServiceBlockingEvidence,
  SlowTarget,
  ThrottlingEvidence,
} from '@vigil/model'
import { groupBy, round, share } from './stats.js'
import type { DetectionSettings, DurationBaseline, DurationWindow, SeriesSample, Signal } from './types.js'

export function detectServiceBlocking(
  samples: readonly SeriesSample[],
  settings: DetectionSettings,
  offline: ReadonlySet<string>,
): Signal[] {
  const signals: Signal[] = []
  const t = settings.blocking
  for (const [vantageId, list] of groupBy(samples, (s) => s.vantageId)) {
    if (offline.has(vantageId)) continue
    for (const [group, groupSamples] of groupBy(list, (s) => s.group)) {
      const controlGroup = group === null ? undefined : settings.controlGroups[group]
      if (group === null || controlGroup === undefined || groupSamples[0]!.purpose !== 'service') continue
      const control = list.filter((s) => s.group === controlGroup)
      if (control.length === 0 || groupSamples.length < t.minSamples) continue
      const failing = groupSamples.filter((s) => !s.ok)
      const failureShare = share(failing.length, groupSamples.length)
      const controlShare = share(control.filter((s) => s.ok).length, control.length)
      const blocked = failureShare >= t.failureShare && controlShare >= t.controlSuccessShare
      const targets = [...new Set(failing.map((s) => s.targetId))].sort()
      signals.push({
        identity: `service_blocking|vantage|${vantageId}|${group}`,
        kind: 'service_blocking',
        scopeType: 'vantage',
        scope: vantageId,
        region: groupSamples[0]!.region,
        vantageId,
        level: blocked ? (failureShare >= 0.999 ? 'critical' : 'warning') : null,
        // Hysteresis: back to normal only when well under the threshold, or when the control fails too
        // (then it is not blocking, and the blackout detector speaks).
        recovered: failureShare < t.failureShare / 2,
        summary: `Services blocked: ${group}`,
        evidence: {
          group,
          controlGroup,
          failureShare: round(failureShare),
          controlSuccessShare: round(controlShare),
          blockedTargets: targets,
          failures: Object.fromEntries(
            [...groupBy(failing, (s) => s.failure ?? 'unknown')].map(([failure, items]) => [
              failure,
              items.length,
            ]),
          ),
        } satisfies ServiceBlockingEvidence,
      })
    }
  }
  return signals
}

export function detectDnsTampering(samples: readonly SeriesSample[], offline: ReadonlySet<string>): Signal[] {
  const signals: Signal[] = []
  const dns = samples.filter((s) => s.kind === 'dns')
  for (const [vantageId, list] of groupBy(dns, (s) => s.vantageId)) {
    if (offline.has(vantageId)) continue
    const tampered = list.filter((s) => s.failure === 'dns_tampering').map((s) => s.targetId)
    signals.push({
      identity: `dns_tampering|vantage|${vantageId}`,
      kind: 'dns_tampering',
      scopeType: 'vantage',
      scope: vantageId,
      region: list[0]!.region,
      vantageId,
      level: tampered.length === 0 ? null : tampered.length >= 3 ? 'critical' : 'warning',
      recovered: tampered.length === 0,
      summary: `DNS tampering seen from ${vantageId}`,
      evidence: {
        tamperedTargets: [...new Set(tampered)].sort(),
        dnsSeries: list.length,
      } satisfies DnsTamperingEvidence,
    })
  }
  return signals
}

export function detectThrottling(
  windows: readonly DurationWindow[],
  baselines: readonly DurationBaseline[],
  settings: DetectionSettings,
  offline: ReadonlySet<string>,
): Signal[] {
  const t = settings.throttling
  const baseline = new Map(baselines.map((b) => [`${b.vantageId}\u0000${b.targetId}\u0000${b.kind}`, b]))
  const signals: Signal[] = []
  for (const [key, list] of groupBy(windows, (w) => `${w.vantageId}\u0000${w.group ?? ''}`)) {
    const [vantageId, group] = key.split('\u0000') as [string, string]
    if (offline.has(vantageId) || group === '') continue
    const slow: SlowTarget[] = []
    let compared = 0
    for (const window of list) {
      const base = baseline.get(`${window.vantageId}\u0000${window.targetId}\u0000${window.kind}`)
      if (!base || base.samples < t.minSamples || window.samples < t.minSamples || base.medianMs <= 0)
        continue
      compared += 1
      const factor = window.medianMs / base.medianMs
      if (factor >= t.factor) {
        slow.push({
          target: window.targetId,
          kind: window.kind,
          medianMs: round(window.medianMs, 1),
          baselineMs: round(base.medianMs, 1),
          factor: round(factor, 2),
        })
      }
    }
    if (compared === 0) continue
    const slowTargets = new Set(slow.map((s) => s.target))
    signals.push({
      identity: `throttling|vantage|${vantageId}|${group}`,
      kind: 'throttling',
      scopeType: 'vantage',
      scope: vantageId,
      region: list[0]!.region,
      vantageId,
      // One slow site is that site's problem; throttling shows on several at once.
      level: slowTargets.size >= 2 ? 'warning' : null,
      recovered: slowTargets.size === 0,
      summary: `Throttling: ${group}`,
      evidence: {
        group,
        factorThreshold: t.factor,
        slow,
        comparedSeries: compared,
      } satisfies ThrottlingEvidence,
    })
  }
  return signals
}
