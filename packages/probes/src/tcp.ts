// The tcp probe: can a TCP connection to host:port be opened from this vantage, and how long did it take.
import { connectTcp, resolveHost, since } from './dial.js'
import { failureFromError } from './failures.js'
import { settle, startClock } from './result.js'
import type { Probe, TcpDetails, TcpTarget } from './types.js'

export function blankTcpDetails(): TcpDetails {
  return { address: null, dnsMs: null, connectMs: null }
}

export const probeTcp: Probe<TcpTarget> = async (target, ctx) => {
  const clock = startClock()
  const details = blankTcpDetails()
  try {
    const { address, dnsMs } = await resolveHost(target.host, ctx.signal)
    details.address = address
    details.dnsMs = dnsMs
    const t0 = performance.now()
    const socket = await connectTcp(address, target.port, ctx.signal)
    details.connectMs = since(t0)
    socket.destroy()
    return settle(target, clock, details, null)
  } catch (error) {
    return settle(target, clock, details, failureFromError(error, ctx.signal))
  }
}
