// Which targets certwatch checks and how often, and the incident decisions, on config and verdict data.
import {
  agreesWithControl,
  certwatchInterval,
  incidentsToResolve,
  interceptionIdentity,
  planCertTargets,
  type TlsCheck,
} from '@vigil/certwatch'
import { parseConfig } from '@vigil/config'
import type { TlsVerdict } from '@vigil/interception'
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

describe('incident decisions', () => {
  const open: Incident = {
    id: 1,
    identity: interceptionIdentity('kz-almaty-1', 'ab'.repeat(32)),
    kind: 'https_interception',
    scopeType: 'vantage',
    scope: 'kz-almaty-1',
    region: 'Almaty',
    vantageId: 'kz-almaty-1',
    level: 'critical',
    state: 'firing',
    summary: 'HTTPS interception',
    evidence: { hosts: ['a.kz', 'b.kz'] },
    startedAt: new Date(),
    firingAt: new Date(),
    resolvedAt: null,
    lastSeenAt: new Date(),
  }
  const matches = { kind: 'matches_control' as const, detail: 'same' }

  it('resolves once every checked host of the incident verifies and agrees with the control', () => {
    const ok = [check('a.kz', verdict('ok', [matches])), check('b.kz', verdict('ok', [matches]))]
    expect(incidentsToResolve([open], ok, 'kz-almaty-1', new Set())).toEqual([open])
  })

  it('keeps it open while a host fails its handshake, differs from the control issuer, or was raised again', () => {
    const failed = [check('a.kz', verdict('ok')), check('b.kz', verdict('handshake_failed'))]
    expect(incidentsToResolve([open], failed, 'kz-almaty-1', new Set())).toEqual([])
    const otherIssuer = verdict('ok', [{ kind: 'issuer_differs_from_control', detail: 'other CA' }])
    expect(agreesWithControl(otherIssuer)).toBe(false)
    expect(incidentsToResolve([open], [check('a.kz', otherIssuer)], 'kz-almaty-1', new Set())).toEqual([])
    const ok = [check('a.kz', verdict('ok'))]
    expect(incidentsToResolve([open], ok, 'kz-almaty-1', new Set([open.identity]))).toEqual([])
    expect(incidentsToResolve([open], ok, 'kz-aktau-1', new Set())).toEqual([])
    expect(incidentsToResolve([open], [check('c.kz', verdict('ok'))], 'kz-almaty-1', new Set())).toEqual([])
  })
})
