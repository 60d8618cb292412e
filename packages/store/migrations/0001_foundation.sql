-- Vantage points, probe targets and the measurements they produce.

create table vantages (
  id text primary key,
  country text not null,
  region text,
  asn integer,
  network text,
  role text not null default 'in_country' check (role in ('in_country', 'outside', 'control')),
  first_seen_at timestamptz not null default now(),
  last_seen_at timestamptz
);

create table targets (
  id text primary key,
  group_name text not null,
  purpose text not null check (purpose in ('service', 'control', 'outside_in')),
  host text not null,
  port integer not null,
  url text,
  probes text[] not null,
  region text,
  asn integer,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table measurements (
  id bigint generated always as identity primary key,
  measured_at timestamptz not null,
  received_at timestamptz not null default now(),
  vantage_id text not null references vantages (id),
  target_id text not null,
  kind text not null,
  region text,
  asn integer,
  ok boolean not null,
  failure text,
  duration_ms double precision,
  details jsonb not null default '{}'::jsonb,
  source text not null default 'vigil',
  idempotency_key text,
  check (ok = (failure is null))
);

-- Range queries by time, alone or within one scope (target, vantage, region).
create index measurements_measured_at on measurements (measured_at);
create index measurements_target_time on measurements (target_id, measured_at);
create index measurements_vantage_time on measurements (vantage_id, measured_at);
create index measurements_region_time on measurements (region, measured_at);
-- Agents and importers give each measurement an id of their own; a repeated upload adds nothing.
create unique index measurements_idempotency_key on measurements (idempotency_key);
