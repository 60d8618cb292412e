// How one service (a target) looks from one vantage, judged layer by layer from the latest probe of each of
// its series: answering, stopped at a layer (with the OONI failure of the shallowest failing probe), showing
// a block page, or a slow body (reachable, throttled). DNS series are left out: a name that still resolves
// says nothing about a refused connection, and tampered answers are their own signal (DNS tampering).
import type { BlockedService } from '@vigil/model'
import type { SeriesSample } from './types.js'

/** Depth of each transport probe kind: http and https are both the application layer. */
const LAYER_DEPTH: Readonly<Record<string, number>> = { tcp: 1, tls: 2, http: 3, https: 3 }

/**
 * A body below 1 Mbit/s when the timeout hits: with the shipped 1 MiB body cap and 10 s timeout, a transfer
 * at more than about 0.84 Mbit/s finishes in time, so only a throttled (or badly overloaded) path is left.
 */
export const DEFAULT_SLOW_BODY_BITS_PER_SECOND = 1_000_000

/** Connection failures must repeat in the window before they count; one lost probe is noise. */
export const DEFAULT_MIN_FAILURES = 2

export interface JudgeRules {
  /** Failed probes of a series in the window (latest included) before a connection failure counts. */
  minFailures: number
  /** A body arriving below this many bits per second at the timeout is slow, not blocked. */
  slowBodyBitsPerSecond: number
}

export type TargetState = 'ok' | 'blockpage' | 'failing' | 'unsettled'

export interface TargetVerdict {
  targetId: string
  /**
   * `ok`: the deepest probed layer answers; `blockpage`: an http/https probe matched a block page (the
   * transport worked, the content is the operator's notice); `failing`: the deepest layer fails, in at
   * least `minFailures` probes of the window; `unsettled`: a failure too fresh to count yet, or a shallower
   * layer failing while the deepest answers.
   */
  state: TargetState
  /** For `blockpage` and `failing`: the shallowest failing kind, its failure and the block page's name. */
  kind: string | null
  failure: string | null
  blockPage: string | null
}

/**
 * True for an http/https probe that timed out in phase `body` while bytes were still arriving (a positive,
 * finite `transferBytesPerSecond`): the site answered and the path works, whatever the rate.
 */
export function bodyWasArriving(sample: SeriesSample): boolean {
  const rate = sample.transferBytesPerSecond
  return (
    (sample.kind === 'http' || sample.kind === 'https') &&
    !sample.ok &&
    sample.timeoutPhase === 'body' &&
    typeof rate === 'number' &&
    Number.isFinite(rate) &&
    rate > 0
  )
}

/**
 * True for a body still arriving at the timeout (`bodyWasArriving`) at a rate below `belowBitsPerSecond`:
 * a throttled transfer (the site answered), not a blocked one.
 */
export function isSlowBody(sample: SeriesSample, belowBitsPerSecond: number): boolean {
  return bodyWasArriving(sample) && sample.transferBytesPerSecond! * 8 < belowBitsPerSecond
}

/**
 * Judges one target from one vantage over the latest sample of each of its series (all of one vantage
 * and one target). Returns undefined when the target has no transport series (DNS only: not judged here).
 */
export function judgeTarget(series: readonly SeriesSample[], rules: JudgeRules): TargetVerdict | undefined {
  const transport = series.filter((s) => LAYER_DEPTH[s.kind] !== undefined)
  const first = transport[0]
  if (first === undefined) return undefined
  const targetId = first.targetId
  const blockPage = transport.find((s) => s.failure === 'http_blockpage')
  if (blockPage) {
    return {
      targetId,
      state: 'blockpage',
      kind: blockPage.kind,
      failure: 'http_blockpage',
      blockPage: blockPage.blockPage ?? null,
    }
  }
  const failing = transport
    .filter((s) => !s.ok && !isSlowBody(s, rules.slowBodyBitsPerSecond))
    .sort((a, b) => LAYER_DEPTH[a.kind]! - LAYER_DEPTH[b.kind]!)
  if (failing.length === 0) return { targetId, state: 'ok', kind: null, failure: null, blockPage: null }
  const deepest = Math.max(...transport.map((s) => LAYER_DEPTH[s.kind]!))
  // Without window counts (a caller that has only the latest probes) the latest failure stands as settled.
  const settled = (s: SeriesSample) => s.windowFailures === undefined || s.windowFailures >= rules.minFailures
  // The deepest layer decides: a refused tcp probe next to an https probe that answered is not a blocked
  // service. Without a settled failure at that depth the target is neither up nor blocked yet.
  if (!failing.some((s) => LAYER_DEPTH[s.kind] === deepest && settled(s))) {
    return { targetId, state: 'unsettled', kind: null, failure: null, blockPage: null }
  }
  const cause = failing[0]!
  return {
    targetId,
    state: 'failing',
    kind: cause.kind,
    failure: cause.failure ?? 'unknown',
    blockPage: null,
  }
}

/** Judges every target of `samples` (one vantage's), keyed by target id. */
export function judgeTargets(
  samples: readonly SeriesSample[],
  rules: JudgeRules,
): Map<string, TargetVerdict> {
  const byTarget = new Map<string, SeriesSample[]>()
  for (const sample of samples) {
    const list = byTarget.get(sample.targetId)
    if (list) list.push(sample)
    else byTarget.set(sample.targetId, [sample])
  }
  const verdicts = new Map<string, TargetVerdict>()
  for (const [targetId, list] of byTarget) {
    const verdict = judgeTarget(list, rules)
    if (verdict) verdicts.set(targetId, verdict)
  }
  return verdicts
}

/**
 * The same targets as vantages outside the censored network see them (role `control` or `outside`, not
 * offline): `ok` when any of them reaches the target, `failing` when those that probed it all fail. This
 * is the control measurement of OONI's web_connectivity test (ooni/spec, nettests/ts-017): a failure seen
 * in the country counts as blocking only when the control reaches the same target.
 */
export function controlViews(
  samples: readonly SeriesSample[],
  offline: ReadonlySet<string>,
  rules: JudgeRules,
): Map<string, BlockedService['control']> {
  const views = new Map<string, BlockedService['control']>()
  const outside = samples.filter(
    (s) => (s.vantageRole === 'control' || s.vantageRole === 'outside') && !offline.has(s.vantageId),
  )
  const byVantage = new Map<string, SeriesSample[]>()
  for (const sample of outside) {
    const list = byVantage.get(sample.vantageId)
    if (list) list.push(sample)
    else byVantage.set(sample.vantageId, [sample])
  }
  // The control's own view needs no repetition: its latest probe is what it sees now.
  const immediate = { ...rules, minFailures: 1 }
  for (const list of byVantage.values()) {
    for (const [targetId, verdict] of judgeTargets(list, immediate)) {
      if (verdict.state === 'ok') views.set(targetId, 'ok')
      else if (verdict.state !== 'unsettled' && views.get(targetId) !== 'ok') views.set(targetId, 'failing')
    }
  }
  return views
}
