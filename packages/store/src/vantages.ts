// The vantages and targets tables: who measures, and what is measured, as declared in the config.
import type { NetworkType, Vantage } from '@vigil/model'
import type { Sql, TransactionSql } from './connect.js'

/** A vantage to register: the model's Vantage, with the network type `unknown` (or kept) when not given. */
export type VantageRecord = Omit<Vantage, 'networkType'> & { networkType?: NetworkType | undefined }

/** Registers the vantage or replaces its facts (role, region, network) with these. */
export async function upsertVantage(sql: Sql | TransactionSql, vantage: VantageRecord): Promise<void> {
  await sql`
    insert into vantages (id, country, region, asn, network, role, network_type)
    values (${vantage.id}, ${vantage.country}, ${vantage.region}, ${vantage.asn}, ${vantage.network},
            ${vantage.role}, ${vantage.networkType ?? 'unknown'})
    on conflict (id) do update set
      country = excluded.country, region = excluded.region, asn = excluded.asn,
      network = excluded.network, role = excluded.role,
      network_type = case when ${vantage.networkType ?? null}::text is null
        then vantages.network_type else excluded.network_type end`
}

/** One vantage as registered; undefined when no vantage has this id. */
export async function getVantage(sql: Sql | TransactionSql, id: string): Promise<Vantage | undefined> {
  const [row] = await sql<Vantage[]>`
    select id, country, region, asn, network, role, network_type as "networkType" from vantages where id = ${id}`
  return row
}

export interface TargetRecord {
  /** The target's name, unique across the config; measurements refer to it. */
  id: string
  groupName: string
  purpose: 'service' | 'control' | 'outside_in'
  host: string
  port: number
  url: string | null
  probes: string[]
  region: string | null
  asn: number | null
}

export async function upsertTargets(sql: Sql | TransactionSql, targets: TargetRecord[]): Promise<void> {
  if (targets.length === 0) return
  const rows = targets.map((target) => ({
    id: target.id,
    group_name: target.groupName,
    purpose: target.purpose,
    host: target.host,
    port: target.port,
    url: target.url,
    probes: sql.array(target.probes),
    region: target.region,
    asn: target.asn,
  }))
  await sql`
    insert into targets ${sql(rows as never)}
    on conflict (id) do update set
      group_name = excluded.group_name, purpose = excluded.purpose, host = excluded.host, port = excluded.port,
      url = excluded.url, probes = excluded.probes, region = excluded.region, asn = excluded.asn,
      updated_at = now()`
}
