// The runner's promises: a result for every target, timeouts enforced by the runner, bounded concurrency,
// jitter, and a hanging target that delays nobody else.
import { createServer } from 'node:http'
import { type HttpTarget, type ProbeResult, probes, runProbe, runRound, type TcpTarget } from '@vigil/probes'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Loopback } from './fixtures/loopback.js'

const loopback = new Loopback()
beforeEach(() => loopback.markBaseline())
afterEach(() => loopback.closeAll())
afterAll(() => loopback.closeAll())

function httpTargets(port: number, count: number, prefix = 'fast'): HttpTarget[] {
  return Array.from({ length: count }, (_, index) => ({
    kind: 'http' as const,
    name: `${prefix}-${index}`,
    url: `http://127.0.0.1:${port}/${prefix}/${index}`,
  }))
}

describe('runProbe', () => {
  it('answers for a probe that ignores its signal, at its timeout', async () => {
    const original = probes.tcp
    probes.tcp = () => new Promise(() => {})
    try {
      const started = performance.now()
      const result = await runProbe(
        { kind: 'tcp', name: 'stuck', host: '127.0.0.1', port: 1 },
        { timeoutMs: 200 },
      )
      expect(result).toMatchObject({
        target: 'stuck',
        kind: 'tcp',
        ok: false,
        failure: 'generic_timeout_error',
      })
      expect(result.details).toEqual({
        address: null,
        addresses: [],
        attempts: [],
        dnsMs: null,
        connectMs: null,
      })
      expect(performance.now() - started).toBeLessThan(500)
    } finally {
      probes.tcp = original
    }
  })

  it('turns a probe that throws into a result', async () => {
    const original = probes.tcp
    probes.tcp = async () => {
      throw Object.assign(new Error('unreachable'), { code: 'EHOSTUNREACH' })
    }
    try {
      const result = await runProbe(
        { kind: 'tcp', name: 'x', host: '127.0.0.1', port: 1 },
        { timeoutMs: 200 },
      )
      expect(result).toMatchObject({ ok: false, failure: 'host_unreachable' })
    } finally {
      probes.tcp = original
    }
  })

  it('reports an unknown kind as a failure instead of throwing', async () => {
    const target = { kind: 'icmp', name: 'ping', host: '127.0.0.1', port: 0 } as unknown as TcpTarget
    const result = await runProbe(target, { timeoutMs: 200 })
    expect(result).toMatchObject({ ok: false, failure: 'unknown_failure: unknown_probe_kind' })
  })

  it('uses the target timeout over the round timeout', async () => {
    const port = await loopback.tcp(() => {})
    const target: HttpTarget = {
      kind: 'http',
      name: 'slow',
      url: `http://127.0.0.1:${port}/`,
      timeoutMs: 150,
    }
    const result = await runProbe(target, { timeoutMs: 5000 })
    expect(result.failure).toBe('generic_timeout_error')
    expect(result.durationMs).toBeLessThan(600)
  })

  it('reports a probe stopped by the caller as interrupted', async () => {
    const port = await loopback.tcp(() => {})
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    const result = await runProbe(
      { kind: 'http', name: 'stopped', url: `http://127.0.0.1:${port}/` },
      { timeoutMs: 5000, signal: controller.signal },
    )
    expect(result.failure).toBe('interrupted')
  })
})

describe('runRound', () => {
  it('never has more probes in flight than the concurrency', async () => {
    let inFlight = 0
    let peak = 0
    const port = await loopback.listen(
      createServer((_req, res) => {
        inFlight += 1
        peak = Math.max(peak, inFlight)
        setTimeout(() => {
          inFlight -= 1
          res.end('ok')
        }, 20)
      }),
    )
    const results: ProbeResult[] = []
    const summary = await runRound(httpTargets(port, 24), { concurrency: 4, timeoutMs: 2000 }, (result) =>
      results.push(result),
    )
    expect(summary).toMatchObject({ total: 24, completed: 24, ok: 24, failed: 0, skipped: 0 })
    expect(new Set(results.map((result) => result.target)).size).toBe(24)
    expect(peak).toBe(4)
  })

  it('lets a hanging target delay nobody but itself', async () => {
    const fastPort = await loopback.listen(createServer((_req, res) => res.end('ok')))
    const silentPort = await loopback.tcp(() => {})
    const hanging: HttpTarget = { kind: 'http', name: 'hanging', url: `http://127.0.0.1:${silentPort}/` }
    const order: string[] = []
    const arrivedAt = new Map<string, number>()
    const t0 = performance.now()
    const summary = await runRound(
      [hanging, ...httpTargets(fastPort, 20)],
      { concurrency: 2, timeoutMs: 1000 },
      (result) => {
        order.push(result.target)
        arrivedAt.set(result.target, performance.now() - t0)
      },
    )
    expect(summary).toMatchObject({ completed: 21, ok: 20, failed: 1 })
    expect(order.at(-1)).toBe('hanging')
    // Twenty fast probes on one slot take a few milliseconds each: all in well before the hanging one's timeout.
    expect(arrivedAt.get('fast-19')).toBeLessThan(800)
    expect(summary.durationMs).toBeLessThan(1500)
  })

  it('spreads starts over the jitter window', async () => {
    const port = await loopback.listen(createServer((_req, res) => res.end('ok')))
    const starts: number[] = []
    await runRound(httpTargets(port, 12), { concurrency: 12, timeoutMs: 2000, jitterMs: 300 }, (result) =>
      starts.push(result.startedAt.getTime()),
    )
    const spread = Math.max(...starts) - Math.min(...starts)
    expect(spread).toBeGreaterThan(50)
    expect(spread).toBeLessThan(700)
  })

  it('stops on its signal: running probes are interrupted, the rest skipped', async () => {
    const port = await loopback.tcp(() => {})
    const controller = new AbortController()
    const results: ProbeResult[] = []
    setTimeout(() => controller.abort(), 100)
    const summary = await runRound(
      httpTargets(port, 6, 'silent'),
      { concurrency: 2, timeoutMs: 10_000, signal: controller.signal },
      (result) => results.push(result),
    )
    expect(summary).toMatchObject({ total: 6, completed: 2, skipped: 4 })
    expect(results.map((result) => result.failure)).toEqual(['interrupted', 'interrupted'])
    expect(summary.durationMs).toBeLessThan(1000)
  })

  it('runs many probes under one caller signal without a listener-leak warning', async () => {
    const port = await loopback.listen(createServer((_req, res) => setTimeout(() => res.end('ok'), 20)))
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    try {
      const signal = new AbortController().signal
      const summary = await runRound(
        httpTargets(port, 40),
        { concurrency: 40, timeoutMs: 2000, signal },
        () => {},
      )
      expect(summary.ok).toBe(40)
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning')
    } finally {
      process.off('warning', onWarning)
    }
  })

  it('resolves at once for no targets or an aborted signal', async () => {
    expect(await runRound([], { concurrency: 2, timeoutMs: 100 }, () => {})).toMatchObject({ total: 0 })
    const summary = await runRound(
      httpTargets(1, 3),
      { concurrency: 2, timeoutMs: 100, signal: AbortSignal.abort() },
      () => {},
    )
    expect(summary).toMatchObject({ total: 3, completed: 0, skipped: 3 })
  })

  it('rejects options that would never finish a round', async () => {
    const targets = httpTargets(1, 1)
    await expect(runRound(targets, { concurrency: 0, timeoutMs: 100 }, () => {})).rejects.toMatchObject({
      code: 'probes.invalid_round',
    })
    await expect(
      runRound(targets, { concurrency: 2, timeoutMs: Number.NaN }, () => {}),
    ).rejects.toMatchObject({
      code: 'probes.invalid_round',
    })
  })

  it('finishes the round even when onResult throws, then reports the error', async () => {
    const port = await loopback.listen(createServer((_req, res) => res.end('ok')))
    let calls = 0
    const round = runRound(httpTargets(port, 5), { concurrency: 2, timeoutMs: 2000 }, () => {
      calls += 1
      throw new Error('store is down')
    })
    await expect(round).rejects.toThrow('store is down')
    expect(calls).toBe(5)
  })
})
