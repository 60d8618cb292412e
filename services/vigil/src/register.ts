// Records in the store what the config declares: this process' vantage and every target, so stored
// measurements can be read with the scope they belong to.
import type { VigilConfig } from '@vigil/config'
import { type Sql, upsertTargets, upsertVantage } from '@vigil/store'

export async function registerConfiguredTargets(sql: Sql, config: VigilConfig): Promise<void> {
  const { vantage } = config
  await sql.begin(async (tx) => {
    await upsertVantage(tx, {
      id: vantage.id,
      country: vantage.country,
      region: vantage.region ?? null,
      asn: vantage.network.asn,
      network: vantage.network.name ?? null,
      role: vantage.role,
      networkType: vantage.network.type,
    })
    await upsertTargets(
      tx,
      config.targetGroups.flatMap((group) =>
        group.targets.map((target) => ({
          id: target.name,
          groupName: group.name,
          purpose: group.purpose,
          host: target.host,
          port: target.port,
          url: target.url ?? null,
          probes: target.probes,
          region: target.region ?? null,
          asn: target.asn ?? null,
        })),
      ),
    )
  })
}
