// Which targets certwatch checks and how often, and the incident decisions, on config and verdict data.
import {
  agreesWithControl,
  certwatchInterval,
  interceptionClearances,
  interceptionIdentity,
  interceptionSignal,
  planCertTargets,
  type TlsCheck,
} from '@vigil/certwatch'
import { parseConfig } from '@vigil/config'
import { groupFindings, type TlsVerdict } from '@vigil/interception'
import { readEvidence } from '@vigil/model'
import type { Incident } from '@vigil/store'
import { describe, expect, it } from 'vitest'

const config = parseConfig(
  [
    'country: KZ',
    'vantage:',
    '  id: kz-almaty-1',
    '  role: in_country',
    '  country: KZ',
    '  region: Almaty',
    '  network:',
    '    asn: 9198',
    'regions:',
    '  - name: Almaty',
    '    timeZone: Asia/Almaty',
    '  - name: Aktau',
    '    timeZone: Asia/Aqtau',
    'interception:',
    '  interval: 15m',
    '  rallyInterval: 1m',
    'rallies:',
    '  - name: Aktau rally',
    '    city: Aktau',
    '    start: 2019-07-06T10:00',
    '    end: 2019-07-06T14:00',
    '    leadHours: 0',
    '    tailHours: 0',
    '  - name: Almaty rally',
    '    city: Almaty',
    '    start: 2019-06-09T10:00',
    '    end: 2019-06-09T14:00',
    '    leadHours: 0',
    '    tailHours: 0',
    'targetGroups:',
    '  - name: social',
    '    probes: [dns, tcp, tls, https]',
    '    timeout: 3s',
    '    targets:',
    '      - url: https://twitter.com/',
    '      - name: telegram-api',
    '        host: api.telegram.org',
    '        port: 8443',
    '        sni: telegram.org',
    '        probes: [tls]',
    '      - name: news-http',
    '        url: http://old.example.kz/',
    '        probes: [https]',
    '      - name: only-dns',
    '        host: example.org',
    '        probes: [dns]',
    '  - name: government',
    '    purpose: outside_in',
    '    probes: [tls]',
    '    targets:',
    '      - host: gov.kz',
    '        region: Aktau',
  ].join('\n'),
  'plan.yaml',
  {},
)

describe('planCertTargets', () => {
  it('checks every tls or https target this vantage probes, with the https URL port and the SNI', () => {
    expect(planCertTargets(config)).toEqual([
      {
        targetId: 'twitter.com',
        host: 'twitter.com',
        port: 443,
        servername: 'twitter.com',
        region: 'Almaty',
        timeoutMs: 3000,
      },
      {
        targetId: 'telegram-api',
        host: 'api.telegram.org',
        port: 8443,
        servername: 'telegram.org',
        region: 'Almaty',
        timeoutMs: 3000,
      },
      {
        targetId: 'news-http',
        host: 'old.example.kz',
        port: 443,
        servername: 'old.example.kz',
        region: 'Almaty',
        timeoutMs: 3000,
      },
    ])
  })

  it('checks outside-in targets from an outside vantage, speaking for the target region', () => {
    const outside = { ...config, vantage: { ...config.vantage, role: 'outside' as const, region: undefined } }
    expect(planCertTargets(outside).map((t) => [t.targetId, t.region])).toEqual([['gov.kz', 'Aktau']])
  })
})

describe('certwatchInterval', () => {
  const targets = planCertTargets(config)
  it('uses the rally interval only while a window is open in a region the targets speak for', () => {
    expect(certwatchInterval(config, targets, new Date('2019-06-09T06:00:00Z'))).toBe(60_000)
    expect(certwatchInterval(config, targets, new Date('2019-06-10T06:00:00Z'))).toBe(15 * 60_000)
    // Aktau's rally does not speed up a vantage in Almaty.
    expect(certwatchInterval(config, targets, new Date('2019-07-06T06:00:00Z'))).toBe(15 * 60_000)
  })
})

function verdict(kind: TlsVerdict['verdict'], evidence: TlsVerdict['evidence'] = []): TlsVerdict {
  return {
    target: { host: '127.0.0.1', port: 443, servername: 'x' },
    vantage: 'kz-almaty-1',
    round: null,
    verdict: kind,
    failure: null,
    knownMatches: [],
    evidence,
    interceptorSpki: null,
    interceptorSubject: null,
  }
}

function check(servername: string, v: TlsVerdict): TlsCheck {
  return {
    observation: {
      host: '127.0.0.1',
      port: 443,
      servername,
      capturedAt: '2019-07-17T10:00:00.000Z',
      durationMs: 1,
      protocol: 'TLSv1.3',
      cipher: null,
      chain: [],
      verified: v.verdict === 'ok',
      failure: null,
      errorCode: null,
      trustStore: 'mozilla',
    },
    verdict: v,
  }
}

const SPKI = 'ab'.repeat(32)
const AT = new Date('2019-07-17T10:00:00Z')
const LATER = new Date('2019-07-17T10:15:00Z')

/** A legacy incident: one per vantage, its evidence without a vantage list. */
const legacy: Incident = {
  id: 1,
  identity: `https_interception|vantage|kz-almaty-1|${SPKI}`,
  kind: 'https_interception',
  scopeType: 'vantage',
  scope: 'kz-almaty-1',
  region: 'Almaty',
  vantageId: 'kz-almaty-1',
  level: 'critical',
  state: 'firing',
  summary: 'HTTPS interception',
  evidence: {
    verdict: 'control_mismatch',
    hosts: ['a.kz', 'b.kz'],
    targets: [],
    interceptorSpki: SPKI,
    interceptorSubject: 'CN=Interceptor',
    knownInterception: null,
  },
  startedAt: AT,
  firingAt: AT,
  resolvedAt: null,
  lastSeenAt: AT,
}
const matches = { kind: 'matches_control' as const, detail: 'same' }

/** The incident a signal would leave in the store (opened at AT, or updating `open`). */
function stored(signal: ReturnType<typeof interceptionSignal>, open?: Incident): Incident {
  return {
    ...(open ?? legacy),
    identity: signal.identity,
    scopeType: signal.scopeType,
    scope: signal.scope,
    region: signal.region ?? null,
    vantageId: open?.vantageId ?? signal.vantageId ?? null,
    summary: signal.summary,
    evidence: signal.evidence,
  }
}

function intercepted(vantage: string, ...hosts: string[]) {
  const checks = hosts.map((host) =>
    check(host, {
      ...verdict('known_interception'),
      vantage,
      interceptorSpki: SPKI,
      target: { host: '127.0.0.1', port: 443, servername: host },
      knownMatches: [{ entry: 'Qaznet Trust Network', by: 'spki' } as never],
    }),
  )
  for (const c of checks) {
    const leaf = {
      sha256: `leaf-${c.observation.servername}`,
      spkiSha256: 'cd'.repeat(32),
      subject: `CN=${c.observation.servername}`,
      issuer: 'CN=Interceptor',
      rsaPublicExponent: 65537,
      notBefore: AT.toISOString(),
    }
    const root = {
      ...leaf,
      sha256: 'root',
      spkiSha256: SPKI,
      subject: 'CN=Interceptor',
      issuer: 'CN=Interceptor',
    }
    c.observation.chain = [leaf, root] as never
  }
  const [finding] = groupFindings(checks.map((c) => c.verdict))
  return { checks, finding: finding! }
}

describe('one incident per interceptor, whichever vantages see it', () => {
  it('merges a second vantage into the first one’s incident and lists both', () => {
    const almaty = { id: 'kz-almaty-1', region: 'Almaty', country: 'KZ' }
    const aktau = { id: 'kz-aktau-1', region: 'Aktau', country: 'KZ' }
    const first = intercepted(almaty.id, 'a.kz')
    const opened = interceptionSignal(almaty, first.finding, first.checks, AT)
    expect(opened).toMatchObject({
      identity: interceptionIdentity('KZ', SPKI),
      scopeType: 'country',
      scope: 'KZ',
      region: 'Almaty',
      vantageId: almaty.id,
    })
    const second = intercepted(aktau.id, 'a.kz', 'b.kz')
    const merged = interceptionSignal(aktau, second.finding, second.checks, LATER, stored(opened))
    expect(merged.identity).toBe(opened.identity)
    // Two regions: country-wide.
    expect(merged.region).toBeNull()
    expect(merged.vantageId).toBe(almaty.id)
    const read = readEvidence('https_interception', merged.evidence)
    if (read.kind !== 'https_interception' || !read.evidence) throw new Error('evidence does not read')
    expect(read.evidence.hosts).toEqual(['a.kz', 'b.kz'])
    expect(read.evidence.vantages).toEqual([
      {
        id: almaty.id,
        region: 'Almaty',
        firstSeen: AT.toISOString(),
        lastSeen: AT.toISOString(),
        hosts: ['a.kz'],
        clearedAt: null,
      },
      {
        id: aktau.id,
        region: 'Aktau',
        firstSeen: LATER.toISOString(),
        lastSeen: LATER.toISOString(),
        hosts: ['a.kz', 'b.kz'],
        clearedAt: null,
      },
    ])
    expect(read.evidence.leaves?.map((leaf) => [leaf.vantage, leaf.servername])).toEqual([
      [almaty.id, 'a.kz'],
      [aktau.id, 'a.kz'],
      [aktau.id, 'b.kz'],
    ])
    expect(merged.summary).toContain('seen from 2 vantage(s) (kz-almaty-1, kz-aktau-1)')

    // The first vantage's chains agree with the control again: it is cleared, the incident stays open.
    const ok = [check('a.kz', verdict('ok', [matches]))]
    const [clearance] = interceptionClearances([stored(merged)], ok, almaty.id, LATER, new Set())
    expect(clearance).toMatchObject({ resolve: false })
    expect(clearance!.evidence.vantages?.map((v) => [v.id, v.clearedAt])).toEqual([
      [almaty.id, LATER.toISOString()],
      [aktau.id, null],
    ])
    expect(clearance!.summary).toContain('seen from 1 vantage(s) (kz-aktau-1), over for 1 more')
    // Seen again from it: no longer cleared, first seen kept.
    const again = interceptionSignal(almaty, first.finding, first.checks, new Date('2019-07-17T10:30:00Z'), {
      ...stored(merged),
      evidence: clearance!.evidence,
    })
    const back = (
      again.evidence as { vantages: Array<{ id: string; firstSeen: string; clearedAt: string | null }> }
    ).vantages[0]!
    expect(back).toMatchObject({ id: almaty.id, firstSeen: AT.toISOString(), clearedAt: null })
  })

  it('resolves only when every vantage that saw it is cleared', () => {
    const almaty = { id: 'kz-almaty-1', region: 'Almaty', country: 'KZ' }
    const first = intercepted(almaty.id, 'a.kz')
    const open = stored(interceptionSignal(almaty, first.finding, first.checks, AT))
    const ok = [check('a.kz', verdict('ok', [matches]))]
    expect(interceptionClearances([open], ok, almaty.id, LATER, new Set())).toMatchObject([{ resolve: true }])
    expect(interceptionClearances([open], ok, 'kz-aktau-1', LATER, new Set())).toEqual([])
  })
})

describe('incident decisions on an incident opened before the vantage list', () => {
  const ok = [check('a.kz', verdict('ok', [matches])), check('b.kz', verdict('ok', [matches]))]
  const decide = (checks: TlsCheck[], vantage = 'kz-almaty-1', raised = new Set<string>()) =>
    interceptionClearances([legacy], checks, vantage, LATER, raised).map((c) => [c.incident.id, c.resolve])

  it('resolves once every checked host of the incident verifies and agrees with the control', () => {
    expect(decide(ok)).toEqual([[1, true]])
  })

  it('keeps it open while a host fails its handshake, differs from the control issuer, or was raised again', () => {
    const failed = [check('a.kz', verdict('ok')), check('b.kz', verdict('handshake_failed'))]
    expect(decide(failed)).toEqual([])
    const otherIssuer = verdict('ok', [{ kind: 'issuer_differs_from_control', detail: 'other CA' }])
    expect(agreesWithControl(otherIssuer)).toBe(false)
    expect(decide([check('a.kz', otherIssuer)])).toEqual([])
    expect(decide([check('a.kz', verdict('ok'))], 'kz-almaty-1', new Set([legacy.identity]))).toEqual([])
    expect(decide([check('a.kz', verdict('ok'))], 'kz-aktau-1')).toEqual([])
    expect(decide([check('c.kz', verdict('ok'))])).toEqual([])
  })

  it('leaves evidence that does not read as interception evidence alone', () => {
    const broken = { ...legacy, evidence: { hosts: ['a.kz'] } }
    expect(interceptionClearances([broken], ok, 'kz-almaty-1', LATER, new Set())).toEqual([])
  })

  it('is merged into, keeping its vantage first', () => {
    const aktau = { id: 'kz-aktau-1', region: 'Aktau', country: 'KZ' }
    const seen = intercepted(aktau.id, 'a.kz')
    const merged = interceptionSignal(aktau, seen.finding, seen.checks, LATER, legacy)
    expect(merged.identity).toBe(legacy.identity)
    expect(
      (merged.evidence as { vantages: Array<{ id: string; firstSeen: string }> }).vantages.map((v) => [
        v.id,
        v.firstSeen,
      ]),
    ).toEqual([
      ['kz-almaty-1', AT.toISOString()],
      ['kz-aktau-1', LATER.toISOString()],
    ])
  })
})
