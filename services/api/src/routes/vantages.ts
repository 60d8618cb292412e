// GET /v1/vantages: every vantage as registered (role, region, ASN, network, network type) with its last
// heartbeat, last measurement, the spool backlog and clock skew its agent reported, and whether it is
// online, silent or never seen (by the api's receipt clock).
import { listVantageHealth, type Store, vantageStatus } from '@vigil/store'
import type { FastifyPluginAsync } from 'fastify'

export const vantageRoutes: FastifyPluginAsync<{
  store: Store
  silenceAfterMs: number
  now?: () => Date
}> = async (app, { store, silenceAfterMs, now = () => new Date() }) => {
  app.get('/v1/vantages', { schema: { summary: 'Vantages and whether they are alive' } }, async () => {
    const at = now()
    const vantages = await listVantageHealth(store.sql, at)
    return {
      silenceAfterSeconds: silenceAfterMs / 1000,
      vantages: vantages.map((vantage) => ({
        id: vantage.id,
        country: vantage.country,
        region: vantage.region,
        role: vantage.role,
        asn: vantage.asn,
        network: vantage.network,
        networkType: vantage.networkType,
        status: vantageStatus(vantage, at, silenceAfterMs),
        lastHeartbeatAt: vantage.lastHeartbeatAt?.toISOString() ?? null,
        lastMeasurementAt: vantage.lastMeasurementAt?.toISOString() ?? null,
        lastReceivedAt: vantage.lastReceivedAt?.toISOString() ?? null,
        lastSeenAt: vantage.lastSeenAt?.toISOString() ?? null,
        spoolBacklog: vantage.spoolBacklog,
        clockSkewMs: vantage.clockSkewMs,
        agentVersion: vantage.agentVersion,
      })),
    }
  })
}
