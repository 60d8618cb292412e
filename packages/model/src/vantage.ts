// A vantage as registered (from the config for the local one, from `vigil agent-token create` for an
// agent's) and what an agent may say about itself in a heartbeat.
import { z } from 'zod'
import { asnSchema, countSchema, instantString, nameText } from './bounds.js'
import { NETWORK_TYPES, VANTAGE_ROLES } from './vocabulary.js'

export const vantageIdSchema = () =>
  z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
      error: 'expected letters, digits, ".", "_" or "-", e.g. kz-almaty-2',
    })

export const countryCodeSchema = () =>
  z.string().regex(/^[A-Z]{2}$/, { error: 'expected an ISO 3166-1 alpha-2 code such as KZ' })

/** A vantage in the registry: who measures, from where, on which network. */
export const vantageSchema = z.object({
  id: vantageIdSchema(),
  role: z.enum(VANTAGE_ROLES),
  country: countryCodeSchema(),
  /** The region (a config region's canonical name) it speaks for; null for a vantage abroad. */
  region: nameText().nullable(),
  /** Autonomous system of its uplink. */
  asn: asnSchema().nullable(),
  /** The network operator's name, e.g. Kazakhtelecom. */
  network: nameText().nullable(),
  networkType: z.enum(NETWORK_TYPES),
})
export type Vantage = z.infer<typeof vantageSchema>

/** The facts of a vantage an agent claims in its heartbeat; each given one must match the registry. */
export const vantageClaimSchema = z
  .object({
    role: z.enum(VANTAGE_ROLES),
    region: nameText().nullable(),
    asn: asnSchema().nullable(),
    networkType: z.enum(NETWORK_TYPES),
  })
  .partial()
export type VantageClaim = z.infer<typeof vantageClaimSchema>

/** Which claimed field contradicts the registered vantage, or null when none does. */
export function contradictedField(
  registered: Pick<Vantage, 'role' | 'region' | 'asn' | 'networkType'>,
  claim: VantageClaim,
): { field: keyof VantageClaim; registered: unknown; claimed: unknown } | null {
  for (const field of ['role', 'region', 'asn', 'networkType'] as const) {
    const claimed = claim[field]
    if (claimed === undefined) continue
    // A registry without a network type says nothing to contradict.
    if (field === 'networkType' && registered.networkType === 'unknown') continue
    if (claimed !== registered[field]) return { field, registered: registered[field], claimed }
  }
  return null
}

/** POST /v1/heartbeat: an agent's sign of life. */
export const heartbeatBodySchema = z.strictObject({
  /** The agent's clock when it sent the heartbeat. */
  agentTime: instantString(),
  /** Records spooled on the agent and not yet confirmed by the api. */
  spoolBacklog: countSchema(),
  version: nameText(100),
  /** What the agent's own config says it is; refused with 409 when it contradicts the registry. */
  vantage: vantageClaimSchema.optional(),
})
export type HeartbeatBody = z.infer<typeof heartbeatBodySchema>

export const heartbeatResponseSchema = z.object({
  receivedAt: z.string(),
  clockSkewMs: z.number(),
})
