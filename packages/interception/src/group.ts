// Folds verdicts into findings: one interceptor seen on many hosts from one vantage in one round is
// one finding listing the hosts, so a monitor gets one alert, not thirty-seven.

import type { InterceptionFinding, TlsVerdict, TlsVerdictKind } from './types.js'

const SEVERITY: Record<TlsVerdictKind, number> = {
  known_interception: 3,
  control_mismatch: 2,
  untrusted_root: 1,
  ok: 0,
  handshake_failed: 0,
}

export interface GroupOptions {
  /** Verdicts that count as interception; `untrusted_root` can be added where no control runs. */
  verdicts?: readonly TlsVerdictKind[]
}

/** Groups by vantage + round + interceptor key (SPKI SHA-256 of the root or issuer that stands for it). */
export function groupFindings(
  verdicts: readonly TlsVerdict[],
  options: GroupOptions = {},
): InterceptionFinding[] {
  const counted = new Set(options.verdicts ?? ['known_interception', 'control_mismatch'])
  const findings = new Map<string, InterceptionFinding>()
  for (const verdict of verdicts) {
    if (!counted.has(verdict.verdict) || verdict.interceptorSpki === null) continue
    const key = [verdict.vantage ?? '', verdict.round ?? '', verdict.interceptorSpki].join('|')
    let finding = findings.get(key)
    if (!finding) {
      finding = {
        key,
        vantage: verdict.vantage,
        round: verdict.round,
        verdict: verdict.verdict,
        interceptorSpki: verdict.interceptorSpki,
        interceptorSubject: verdict.interceptorSubject,
        knownInterception: null,
        hosts: [],
        targets: [],
        evidenceKinds: [],
      }
      findings.set(key, finding)
    }
    if (SEVERITY[verdict.verdict] > SEVERITY[finding.verdict]) finding.verdict = verdict.verdict
    finding.knownInterception ??= verdict.knownMatches[0]?.entry ?? null
    if (!finding.hosts.includes(verdict.target.servername)) finding.hosts.push(verdict.target.servername)
    const sameTarget = (t: TlsVerdict['target']) =>
      t.host === verdict.target.host &&
      t.port === verdict.target.port &&
      t.servername === verdict.target.servername
    if (!finding.targets.some(sameTarget)) finding.targets.push({ ...verdict.target })
    for (const item of verdict.evidence) {
      if (!finding.evidenceKinds.includes(item.kind)) finding.evidenceKinds.push(item.kind)
    }
  }
  return [...findings.values()].map((finding) => ({
    ...finding,
    hosts: finding.hosts.sort(),
    evidenceKinds: finding.evidenceKinds.sort(),
  }))
}
