// The tcp probe: can a TCP connection to host:port be opened from this vantage, and how long did it take.
import { connectHappyEyeballs, resolveHost } from './dial.js'
import { failureFromError } from './failures.js'
import { settle, startClock } from './result.js'
import type { Probe, TcpDetails, TcpTarget } from './types.js'

export function blankTcpDetails(): TcpDetails {
  return { address: null, addresses: [], attempts: [], dnsMs: null, connectMs: null }
}

export const probeTcp: Probe<TcpTarget> = async (target, ctx) => {
  const clock = startClock()
  const details = blankTcpDetails()
  try {
    const { addresses, dnsMs } = await resolveHost(target.host, ctx.signal, ctx.resolver)
    details.addresses = addresses.map((entry) => entry.address)
    details.dnsMs = dnsMs
    const connected = await connectHappyEyeballs(addresses, target.port, ctx.signal, details.attempts)
    details.address = connected.address
    details.connectMs = connected.connectMs
    connected.socket.destroy()
    return settle(target, clock, details, null)
  } catch (error) {
    return settle(target, clock, details, failureFromError(error, ctx.signal))
  }
}
