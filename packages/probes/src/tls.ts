// The tls probe: a TLS handshake with SNI, reporting protocol, cipher, handshake time and the leaf's SHA-256;
// chain analysis against known interception roots belongs to the certificate watcher.
import type { Socket } from 'node:net'
import { connectHappyEyeballs, handshakeTls, resolveHost, since, verifyFailure } from './dial.js'
import { classifyError, failureFromError } from './failures.js'
import { settle, startClock } from './result.js'
import type { Probe, TlsDetails, TlsTarget } from './types.js'

export function blankTlsDetails(target: TlsTarget): TlsDetails {
  return {
    address: null,
    addresses: [],
    attempts: [],
    dnsMs: null,
    connectMs: null,
    servername: target.servername ?? target.host,
    protocol: null,
    cipher: null,
    handshakeMs: null,
    leafSha256: null,
    earliestCertExpiry: null,
    sentChain: [],
    verifiedChain: null,
    lastChainExpiry: null,
    verifyError: null,
  }
}

export const probeTls: Probe<TlsTarget> = async (target, ctx) => {
  const clock = startClock()
  const servername = target.servername ?? target.host
  const details = blankTlsDetails(target)
  let socket: Socket | null = null
  try {
    const { addresses, dnsMs } = await resolveHost(target.host, ctx.signal, ctx.resolver)
    details.addresses = addresses.map((entry) => entry.address)
    details.dnsMs = dnsMs
    const connected = await connectHappyEyeballs(addresses, target.port, ctx.signal, details.attempts)
    socket = connected.socket
    details.address = connected.address
    details.connectMs = connected.connectMs
    const t0 = performance.now()
    const handshake = await handshakeTls(socket, { servername, ca: target.ca ?? ctx.ca }, ctx.signal)
    details.handshakeMs = since(t0)
    handshake.socket.destroy()
    details.protocol = handshake.protocol
    details.cipher = handshake.cipher
    details.leafSha256 = handshake.leafSha256
    details.earliestCertExpiry = handshake.earliestCertExpiry
    details.sentChain = handshake.sentChain
    details.verifiedChain = handshake.verifiedChain
    details.lastChainExpiry = handshake.lastChainExpiry
    details.verifyError = handshake.verifyError
    const failure =
      handshake.verifyError === null ? null : classifyError(verifyFailure(handshake.verifyError))
    return settle(target, clock, details, failure)
  } catch (error) {
    return settle(target, clock, details, failureFromError(error, ctx.signal))
  } finally {
    socket?.destroy()
  }
}
