// Signals seen from one vantage: services blocked while the control set answers, DNS answers tampered
// with, and connections that succeed but far slower than usual (throttling).
import type {
  BlockedService,
  DnsTamperingEvidence,
  ServiceBlockingEvidence,
  SlowTarget,
  ThrottlingEvidence,
} from '@vigil/model'
import {
  controlViews,
  DEFAULT_MIN_FAILURES,
  DEFAULT_SLOW_BODY_BITS_PER_SECOND,
  isSlowBody,
  type JudgeRules,
  judgeTargets,
} from './service-verdicts.js'
import { groupBy, round, share } from './stats.js'
import type { DetectionSettings, DurationBaseline, DurationWindow, SeriesSample, Signal } from './types.js'

/**
 * Service blocking seen from in-country vantages, one service (target) at a time and one group at a time.
 * `samples` is the latest probe of every series in the detection window, from every vantage (with window
 * counts for `minFailures`); control and outside vantages serve as the control. Pure; never throws.
 *
 * Each target is judged on its layers (see `judgeTarget`): blocked when its deepest probed layer (tcp,
 * tls, http/https) fails in at least `blocking.minFailures` probes of the window, or at once when an http
 * probe shows a block page; a DNS answer that still resolves dilutes nothing. Failures count only while
 * the vantage's control group answers (share >= `blocking.controlSuccessShare`), else it is the
 * connection, and the blackout detector speaks.
 *
 * - Group: when at least `blocking.failureShare` of the group's judged targets (at least
 *   `blocking.minSamples` of them) are blocked, one incident names the group
 *   (`service_blocking|vantage|<vantage>|<group>`; critical when all are) and no new per-service incident
 *   opens (one already firing is held, not resolved: its service is still blocked).
 * - Service: otherwise each blocked service has its own incident
 *   (`service_blocking|vantage|<vantage>|<group>|<target>`, warning) when a block page was seen, or when a
 *   control/outside vantage reaches the same target (OONI web_connectivity's rule: blocking needs the
 *   control to succeed), or, with no control measurement of it, when at least two services of the group
 *   fail together. One target failing alone with no control is not called censorship (a site can simply be
 *   down), and a target that fails from the control vantage too is down everywhere: never blocked, and
 *   left out of the group's share (`downEverywhere` in the evidence).
 *
 * Every judged target gets a signal each evaluation (level null when not blocked), so open incidents can
 * resolve; `recovered` is true once the service answers again or is down everywhere.
 */
export function detectServiceBlocking(
  samples: readonly SeriesSample[],
  settings: DetectionSettings,
  offline: ReadonlySet<string>,
): Signal[] {
  const signals: Signal[] = []
  const t = settings.blocking
  const rules: JudgeRules = {
    minFailures: t.minFailures ?? DEFAULT_MIN_FAILURES,
    slowBodyBitsPerSecond: settings.throttling.slowBodyBitsPerSecond ?? DEFAULT_SLOW_BODY_BITS_PER_SECOND,
  }
  const controls = controlViews(samples, offline, rules)
  for (const [vantageId, list] of groupBy(samples, (s) => s.vantageId)) {
    if (offline.has(vantageId) || list[0]!.vantageRole !== 'in_country') continue
    for (const [group, groupSamples] of groupBy(list, (s) => s.group)) {
      const controlGroup = group === null ? undefined : settings.controlGroups[group]
      if (group === null || controlGroup === undefined || groupSamples[0]!.purpose !== 'service') continue
      const controlVerdicts = [
        ...judgeTargets(
          list.filter((s) => s.group === controlGroup),
          rules,
        ).values(),
      ]
      if (controlVerdicts.length === 0) continue
      const controlShare = share(
        controlVerdicts.filter((v) => v.state === 'ok').length,
        controlVerdicts.length,
      )
      const controlsAnswer = controlShare >= t.controlSuccessShare
      const verdicts = [...judgeTargets(groupSamples, rules).values()].sort((a, b) =>
        a.targetId.localeCompare(b.targetId),
      )
      const services: BlockedService[] = []
      const downEverywhere: string[] = []
      for (const v of verdicts) {
        if (v.state !== 'blockpage' && v.state !== 'failing') continue
        const control = controls.get(v.targetId) ?? 'none'
        if (v.state === 'failing' && control === 'failing') {
          downEverywhere.push(v.targetId)
          continue
        }
        services.push({
          target: v.targetId,
          kind: v.kind!,
          failure: v.failure!,
          blockPage: v.blockPage,
          control,
        })
      }
      const judged = verdicts.length - downEverywhere.length
      const failureShare = share(services.length, judged)
      const groupBlocked = controlsAnswer && judged >= t.minSamples && failureShare >= t.failureShare
      const base = {
        group,
        controlGroup,
        failureShare: round(failureShare),
        controlSuccessShare: round(controlShare),
        judgedTargets: judged,
        downEverywhere,
      }
      const region = groupSamples[0]!.region
      signals.push({
        identity: `service_blocking|vantage|${vantageId}|${group}`,
        kind: 'service_blocking',
        scopeType: 'vantage',
        scope: vantageId,
        region,
        vantageId,
        level: groupBlocked ? (failureShare >= 0.999 ? 'critical' : 'warning') : null,
        // Hysteresis: back to normal only when well under the threshold.
        recovered: failureShare < t.failureShare / 2,
        summary: `Services blocked: ${group}`,
        evidence: {
          ...base,
          scope: 'group',
          blockedTargets: services.map((s) => s.target),
          failures: countFailures(services),
          services,
        } satisfies ServiceBlockingEvidence,
      })
      for (const v of verdicts) {
        const entry = services.find((s) => s.target === v.targetId)
        const confirmed =
          entry !== undefined &&
          (entry.failure === 'http_blockpage' ||
            entry.control === 'ok' ||
            (entry.control === 'none' && services.length >= 2))
        const blocked = controlsAnswer && !groupBlocked && confirmed
        signals.push({
          identity: `service_blocking|vantage|${vantageId}|${group}|${v.targetId}`,
          kind: 'service_blocking',
          scopeType: 'vantage',
          scope: vantageId,
          region,
          vantageId,
          level: blocked ? 'warning' : null,
          // Covered by the group's incident or the controls failing: held, not resolved.
          recovered: v.state === 'ok' || downEverywhere.includes(v.targetId),
          summary: `Service blocked: ${v.targetId}${entry?.blockPage ? ` (block page ${entry.blockPage})` : entry?.failure === 'http_blockpage' ? ' (block page)' : ''}`,
          evidence: {
            ...base,
            scope: 'service',
            target: v.targetId,
            blockedTargets: entry ? [entry.target] : [],
            failures: countFailures(entry ? [entry] : []),
            services: entry ? [entry] : [],
          } satisfies ServiceBlockingEvidence,
        })
      }
    }
  }
  return signals
}

function countFailures(services: readonly BlockedService[]): Record<string, number> {
  return Object.fromEntries(
    [...groupBy(services, (s) => s.failure)].map(([failure, items]) => [failure, items.length]),
  )
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

/** Throttling's absolute margin when the settings give none: see `detectThrottling`. */
export const DEFAULT_MIN_EXTRA_MS = 200

/**
 * Throttling per vantage and target group: connections that still succeed but far slower than usual, and
 * bodies still arriving when the probe timed out. `windows` are the median durations (ms) of successful
 * probes per series in the detection window, `baselines` the same over the baseline days, `samples` the
 * latest probe of every series (slow bodies, and the control's view of them). Pure; never throws.
 *
 * - Latency: a series (vantage, target, kind) is slow when the median duration of its successful probes in
 *   the window is at least `throttling.factor` times its baseline median AND at least
 *   `throttling.minExtraMs` (default 200 ms) above it: a 1 ms loopback time turning 5 ms is ×5 but no one
 *   would notice; 200 ms is twice the 0.1 s a delay needs to be felt at all (Nielsen, "Response Times: The
 *   3 Important Limits", 1993). Both the window and the baseline need `throttling.minSamples` probes; a
 *   series without enough baseline is not compared (counted in `withoutBaseline`), never given a made-up
 *   baseline.
 * - Slow body: an http/https probe that timed out in phase `body` with bytes arriving below
 *   `throttling.slowBodyBitsPerSecond` (see `isSlowBody`), as in the 2021 throttling of Twitter in Russia
 *   (to about 130 kbit/s; Censored Planet, "Throttling Twitter", IMC 2021). That is an absolute measure:
 *   it needs no baseline, and its evidence carries the measured rate and `baselineMs: null` when there is
 *   none.
 *
 * Level warning when at least two targets of the group are slow (one slow site is usually that site's
 * problem), or when one target's body is slow while a control or outside vantage fetched the same target
 * within the timeout. Identity `throttling|vantage|<vantage>|<group>`.
 */
export function detectThrottling(
  windows: readonly DurationWindow[],
  baselines: readonly DurationBaseline[],
  settings: DetectionSettings,
  offline: ReadonlySet<string>,
  samples: readonly SeriesSample[] = [],
): Signal[] {
  const t = settings.throttling
  const minExtraMs = t.minExtraMs ?? DEFAULT_MIN_EXTRA_MS
  const slowBelow = t.slowBodyBitsPerSecond ?? DEFAULT_SLOW_BODY_BITS_PER_SECOND
  const baseline = new Map(baselines.map((b) => [`${b.vantageId}\u0000${b.targetId}\u0000${b.kind}`, b]))
  const enough = (b: DurationBaseline | undefined) =>
    b !== undefined && b.samples >= t.minSamples && b.medianMs > 0 ? b : undefined
  const slowBodies = samples.filter(
    (s) => s.group !== null && s.vantageRole === 'in_country' && isSlowBody(s, slowBelow),
  )
  // A control or outside vantage that fetched the same target in full (ok, within the timeout).
  const fetchedOutside = new Set(
    samples
      .filter(
        (s) =>
          (s.vantageRole === 'control' || s.vantageRole === 'outside') &&
          !offline.has(s.vantageId) &&
          (s.kind === 'http' || s.kind === 'https') &&
          s.ok,
      )
      .map((s) => s.targetId),
  )
  const keyOf = (w: { vantageId: string; group: string | null }) => `${w.vantageId}\u0000${w.group ?? ''}`
  const windowsByKey = groupBy(windows, keyOf)
  const bodiesByKey = groupBy(slowBodies, keyOf)
  const signals: Signal[] = []
  for (const key of new Set([...windowsByKey.keys(), ...bodiesByKey.keys()])) {
    const [vantageId, group] = key.split('\u0000') as [string, string]
    if (offline.has(vantageId) || group === '') continue
    const list = windowsByKey.get(key) ?? []
    const bodies = bodiesByKey.get(key) ?? []
    const slow: SlowTarget[] = []
    let compared = 0
    let withoutBaseline = 0
    for (const window of list) {
      if (window.samples < t.minSamples) continue
      const base = enough(baseline.get(`${window.vantageId}\u0000${window.targetId}\u0000${window.kind}`))
      if (!base) {
        withoutBaseline += 1
        continue
      }
      compared += 1
      const factor = window.medianMs / base.medianMs
      if (factor >= t.factor && window.medianMs - base.medianMs >= minExtraMs) {
        slow.push({
          target: window.targetId,
          kind: window.kind,
          medianMs: round(window.medianMs, 1),
          baselineMs: round(base.medianMs, 1),
          factor: round(factor, 2),
          cause: 'latency',
        })
      }
    }
    for (const body of bodies) {
      const base = enough(baseline.get(`${body.vantageId}\u0000${body.targetId}\u0000${body.kind}`))
      const durationMs = body.durationMs ?? 0
      slow.push({
        target: body.targetId,
        kind: body.kind,
        medianMs: round(durationMs, 1),
        baselineMs: base ? round(base.medianMs, 1) : null,
        factor: base ? round(durationMs / base.medianMs, 2) : null,
        cause: 'slow_body',
        transferBitsPerSecond: Math.round(body.transferBytesPerSecond! * 8),
      })
    }
    if (compared === 0 && bodies.length === 0 && withoutBaseline === 0) continue
    const slowTargets = new Set(slow.map((s) => s.target))
    const confirmedAlone = bodies.some((b) => fetchedOutside.has(b.targetId))
    const region = list[0]?.region ?? bodies[0]?.region ?? null
    signals.push({
      identity: `throttling|vantage|${vantageId}|${group}`,
      kind: 'throttling',
      scopeType: 'vantage',
      scope: vantageId,
      region,
      vantageId,
      level: slowTargets.size >= 2 || confirmedAlone ? 'warning' : null,
      recovered: slowTargets.size === 0,
      summary: `Throttling: ${group}`,
      evidence: {
        group,
        factorThreshold: t.factor,
        minExtraMs,
        slowBodyBelowBitsPerSecond: slowBelow,
        slow,
        comparedSeries: compared,
        withoutBaseline,
      } satisfies ThrottlingEvidence,
    })
  }
  return signals
}
