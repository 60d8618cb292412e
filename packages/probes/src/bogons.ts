// Which addresses a public name should never resolve to: the bogon ranges a censor's resolver typically
// answers with (private, loopback, link-local, unspecified, CGNAT, documentation, multicast, reserved).
import { BlockList, isIPv4, isIPv6 } from 'node:net'

const BOGONS = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BOGONS.addSubnet(network, prefix, 'ipv4')
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
] as const) {
  BOGONS.addSubnet(network, prefix, 'ipv6')
}

/** True for an address in a bogon range; an IPv4-mapped IPv6 address is judged by its IPv4 part. */
export function isBogon(address: string): boolean {
  if (isIPv4(address)) return BOGONS.check(address, 'ipv4')
  if (!isIPv6(address)) return false
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped?.[1] !== undefined) return BOGONS.check(mapped[1], 'ipv4')
  return BOGONS.check(address, 'ipv6')
}

export interface DnsAssessment {
  bogons: string[]
  tampering: boolean
}

/**
 * The DNS tampering verdict. An answer is tampered with when it is a configured block-page address, or when
 * it is a bogon the control resolver did not also give. Without a control answer a bogon alone is only
 * reported: some names do legitimately point at private addresses.
 */
export function assessDnsAnswers(
  answers: readonly string[],
  controlAnswers: readonly string[] | null,
  blockPageAddresses: readonly string[] = [],
): DnsAssessment {
  const blockPages = new Set(blockPageAddresses.map((address) => address.toLowerCase()))
  const control =
    controlAnswers === null ? null : new Set(controlAnswers.map((address) => address.toLowerCase()))
  const bogons = answers.filter(isBogon)
  const tampering = answers.some((raw) => {
    const address = raw.toLowerCase()
    if (blockPages.has(address)) return true
    return control !== null && !control.has(address) && isBogon(address)
  })
  return { bogons, tampering }
}
