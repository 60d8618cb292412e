-- Incidents: what people are told about. One open incident per identity (kind and scope); it moves
-- pending -> firing -> resolved and keeps the evidence behind it.

create table incidents (
  id bigint generated always as identity primary key,
  identity text not null,
  kind text not null check (
    kind in ('blackout', 'service_blocking', 'throttling', 'dns_tampering', 'https_interception', 'detention_report', 'monitor_offline')
  ),
  scope_type text not null check (scope_type in ('country', 'region', 'network', 'vantage', 'target', 'report')),
  scope text not null,
  region text,
  vantage_id text,
  level text not null check (level in ('info', 'warning', 'critical')),
  state text not null check (state in ('pending', 'firing', 'resolved')),
  summary text not null,
  evidence jsonb not null default '{}'::jsonb,
  started_at timestamptz not null,
  firing_at timestamptz,
  resolved_at timestamptz,
  last_seen_at timestamptz not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((state = 'resolved') = (resolved_at is not null))
);

create unique index incidents_open_identity on incidents (identity) where state <> 'resolved';
create index incidents_started_at on incidents (started_at);
create index incidents_kind_region_time on incidents (kind, region, started_at);
