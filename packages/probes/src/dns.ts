// The dns probe: resolves A/AAAA through the resolver under test (and a control resolver), records response
// codes, answers and lookup time, and flags tampering. c-ares reports the response code as an error code, so
// the rcode is read back from that mapping; a resolver that never answered has no rcode.
import { Resolver } from 'node:dns/promises'
import { assessDnsAnswers } from './bogons.js'
import { abortable, since } from './dial.js'
import { type FailureString, failureFromError } from './failures.js'
import { settle, startClock } from './result.js'
import type { DnsDetails, DnsQueryDetails, DnsTarget, Probe } from './types.js'

const RCODE_BY_ERROR: Record<string, string> = {
  ENODATA: 'NOERROR',
  ENOTFOUND: 'NXDOMAIN',
  ESERVFAIL: 'SERVFAIL',
  EREFUSED: 'REFUSED',
  ENOTIMP: 'NOTIMP',
  EFORMERR: 'FORMERR',
}

/** The DNS response code a c-ares error stands for, or null when no response was received. */
export function rcodeOfError(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? (RCODE_BY_ERROR[code] ?? null) : null
}

interface Lookup {
  rcode: string | null
  answers: string[]
  failure: FailureString | null
  queries: DnsQueryDetails[]
  lookupMs: number
}

async function lookupAll(
  server: string,
  host: string,
  types: Array<'A' | 'AAAA'>,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<Lookup> {
  // A resolver per lookup: c-ares' channel caches answers, and a cached answer is not a measurement.
  const resolver = new Resolver({ timeout: Math.max(1, Math.ceil(timeoutMs)), tries: 1 })
  resolver.setServers([server])
  const t0 = performance.now()
  const queries = await Promise.all(
    types.map(async (type): Promise<DnsQueryDetails> => {
      const q0 = performance.now()
      try {
        const pending = type === 'A' ? resolver.resolve4(host) : resolver.resolve6(host)
        const answers = await abortable(signal, pending, () => resolver.cancel())
        return {
          type,
          rcode: 'NOERROR',
          answers,
          lookupMs: since(q0),
          failure: answers.length ? null : 'dns_no_answer',
        }
      } catch (error) {
        return {
          type,
          rcode: rcodeOfError(error),
          answers: [],
          lookupMs: since(q0),
          failure: failureFromError(error, signal),
        }
      }
    }),
  )
  const lookupMs = since(t0)
  if (signal.aborted) throw signal.reason
  const answers = queries.flatMap((query) => query.answers)
  // One record type answering is enough (an IPv4-only site has no AAAA); otherwise the first type's failure.
  const failure = answers.length > 0 ? null : (queries[0]?.failure ?? 'dns_no_answer')
  return { rcode: queries[0]?.rcode ?? null, answers, failure, queries, lookupMs }
}

export function blankDnsDetails(target: DnsTarget): DnsDetails {
  return {
    resolver: target.resolver,
    rcode: null,
    answers: [],
    lookupMs: null,
    queries: [],
    control: null,
    bogons: [],
    tampering: false,
  }
}

export const probeDns: Probe<DnsTarget> = async (target, ctx) => {
  const clock = startClock()
  const types = target.recordTypes ?? ['A', 'AAAA']
  const details = blankDnsDetails(target)
  try {
    const control =
      target.controlResolver === undefined
        ? null
        : lookupAll(target.controlResolver, target.host, types, ctx.signal, ctx.timeoutMs)
    control?.catch(() => {})
    const measured = await lookupAll(target.resolver, target.host, types, ctx.signal, ctx.timeoutMs)
    details.rcode = measured.rcode
    details.answers = measured.answers
    details.lookupMs = measured.lookupMs
    details.queries = measured.queries
    const controlled = control === null ? null : await control
    if (controlled !== null && target.controlResolver !== undefined) {
      details.control = {
        resolver: target.controlResolver,
        rcode: controlled.rcode,
        answers: controlled.answers,
        failure: controlled.failure,
      }
    }
    // A control that failed gives no ground truth to compare with.
    const truth = controlled !== null && controlled.failure === null ? controlled.answers : null
    const verdict = assessDnsAnswers(measured.answers, truth, target.blockPageAddresses)
    details.bogons = verdict.bogons
    details.tampering = verdict.tampering
    // A resolver that failed outright reports that failure; tampering is about the answers it gave.
    const failure = measured.failure ?? (verdict.tampering ? 'dns_tampering' : null)
    return settle(target, clock, details, failure)
  } catch (error) {
    return settle(target, clock, details, failureFromError(error, ctx.signal))
  }
}
