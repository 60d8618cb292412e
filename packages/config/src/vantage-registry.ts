// The registry entry of a vantage, from the config (this process' own) or from what an operator gives
// when creating an agent's token, checked against the config's regions.
import {
  asnSchema,
  NETWORK_TYPES,
  type NetworkType,
  VANTAGE_ROLES,
  type Vantage,
  type VantageRole,
} from '@vigil/model'
import { resolveRegion } from './regions.js'
import type { VigilConfig } from './types.js'

/** What an operator says about an agent's vantage (strings as typed on the command line). */
export interface VantageRegistration {
  id: string
  role?: string | undefined
  region?: string | undefined
  asn?: string | undefined
  networkType?: string | undefined
  /** The operator's name, e.g. Kazakhtelecom. */
  network?: string | undefined
  /** ISO code; the config's country for an in-country vantage. */
  country?: string | undefined
}

export class VantageRegistrationError extends Error {
  readonly code = 'BAD_VANTAGE'
  constructor(
    /** The option at fault, e.g. `region`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`)
  }
}

/** The config's own vantage as the registry holds it. */
export function configuredVantage(config: VigilConfig): Vantage {
  const { vantage } = config
  return {
    id: vantage.id,
    country: vantage.country,
    region: vantage.region ?? null,
    asn: vantage.network.asn,
    network: vantage.network.name ?? null,
    role: vantage.role,
    networkType: vantage.network.type,
  }
}

/**
 * An agent's vantage from an operator's registration. The role is required; an in-country vantage needs
 * its region (any of a config region's names; stored canonical) and its AS number, so its silence and its
 * measurements count for that region and network. Throws VantageRegistrationError naming the field.
 */
export function registeredVantage(config: VigilConfig, registration: VantageRegistration): Vantage {
  const role = registration.role
  if (role === undefined) {
    throw new VantageRegistrationError('role', `required: one of ${VANTAGE_ROLES.join(', ')}`)
  }
  if (!(VANTAGE_ROLES as readonly string[]).includes(role)) {
    throw new VantageRegistrationError('role', `"${role}" is not one of ${VANTAGE_ROLES.join(', ')}`)
  }
  const networkType = registration.networkType ?? 'unknown'
  if (!(NETWORK_TYPES as readonly string[]).includes(networkType)) {
    throw new VantageRegistrationError(
      'network-type',
      `"${networkType}" is not one of ${NETWORK_TYPES.join(', ')}`,
    )
  }
  let region: string | null = null
  if (registration.region !== undefined) {
    const found = resolveRegion(config, registration.region)
    if (!found) {
      throw new VantageRegistrationError(
        'region',
        `"${registration.region}" is not a region of the config (${config.regions.map((r) => r.name).join(', ')})`,
      )
    }
    region = found.name
  } else if (role === 'in_country') {
    throw new VantageRegistrationError('region', 'an in_country vantage needs its region')
  }
  let asn: number | null = null
  if (registration.asn !== undefined) {
    const text = registration.asn.trim().replace(/^AS/i, '')
    const parsed = asnSchema().safeParse(/^\d+$/.test(text) ? Number(text) : Number.NaN)
    if (!parsed.success) {
      throw new VantageRegistrationError('asn', `"${registration.asn}" is not an AS number (0 to 4294967295)`)
    }
    asn = parsed.data
  } else if (role === 'in_country') {
    throw new VantageRegistrationError('asn', 'an in_country vantage needs the AS number of its network')
  }
  const country = registration.country ?? config.country
  if (!/^[A-Z]{2}$/.test(country)) {
    throw new VantageRegistrationError('country', `"${country}" is not an ISO 3166-1 alpha-2 code`)
  }
  return {
    id: registration.id,
    country,
    region,
    asn,
    network: registration.network ?? null,
    role: role as VantageRole,
    networkType: networkType as NetworkType,
  }
}
