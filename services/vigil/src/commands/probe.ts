// `vigil probe`: probes every configured target from this vantage and prints the results, without a
// database. `--once` runs one round; otherwise rounds follow the schedule until Ctrl-C.
import { createProber } from '@vigil/prober'
import type { ProbeResult } from '@vigil/probes'
import type { CommandContext } from '../cli.js'
import { parseOptions } from '../cli.js'
import { loadConfigOption, untilStopSignal } from './common.js'

export async function probeCommand({ args, env, io }: CommandContext): Promise<number> {
  const { values } = parseOptions(args, {
    config: { type: 'string', short: 'c' },
    once: { type: 'boolean' },
    json: { type: 'boolean' },
  })
  const { config } = await loadConfigOption(values.config, env)
  const print = (result: ProbeResult, region: string | null) => {
    const line = {
      target: result.target,
      kind: result.kind,
      vantage: config.vantage.id,
      region,
      ok: result.ok,
      failure: result.failure,
      durationMs: Math.round(result.durationMs * 10) / 10,
      ...(result.kind === 'http' || result.kind === 'https' ? { statusCode: result.details.statusCode } : {}),
      measuredAt: result.startedAt.toISOString(),
    }
    if (values.json) {
      io.stdout(`${JSON.stringify({ ...line, details: result.details })}\n`)
    } else {
      const status = 'statusCode' in line && line.statusCode ? ` ${line.statusCode}` : ''
      io.stdout(
        `${line.ok ? 'ok  ' : 'FAIL'} ${line.kind.padEnd(5)} ${line.target.padEnd(28)} ${String(line.durationMs).padStart(8)} ms${status}${line.failure ? `  ${line.failure}` : ''}\n`,
      )
    }
  }
  const prober = createProber({
    config,
    record: () => {},
    onObservation: values.once
      ? undefined
      : ({ result, measurement }) => print(result, measurement.region ?? null),
  })
  const total = prober.groups.reduce((n, group) => n + group.probes.length, 0)
  if (!values.json)
    io.stderr(`probing ${total} targets in ${prober.groups.length} groups as ${config.vantage.id}\n`)

  if (values.once) {
    const observations = await prober.runOnce()
    for (const { result, measurement } of observations) print(result, measurement.region ?? null)
    if (!values.json) {
      const failed = observations.filter((o) => !o.result.ok).length
      io.stderr(`${observations.length} probes, ${failed} failed\n`)
    }
    return 0
  }

  if (!values.json) io.stderr('probing on the schedule; Ctrl-C stops\n')
  prober.start()
  await untilStopSignal()
  await prober.stop()
  return 0
}
