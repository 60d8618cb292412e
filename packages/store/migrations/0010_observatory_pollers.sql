-- IODA series that share a datasource: `subtype` (e.g. the product of a gtr series) and `metric` (the
-- aggregate of a per-bucket datasource such as ping-slash24-loss: loss_pct, probe_count, ...; empty for
-- a plain numeric series) become part of a point's identity.
alter table observatory_signals add column subtype text not null default '';
alter table observatory_signals add column metric text not null default '';
alter table observatory_signals drop constraint observatory_signals_pkey;
alter table observatory_signals
  add primary key (source, entity_type, entity_code, datasource, subtype, metric, at);

-- One row per live poller of another observatory (OONI per probe country, IODA per entity): where it
-- resumes, the validators of its last answers for conditional requests, and its health for /v1/sources.
create table observatory_pollers (
  -- 'ooni:KZ', 'ioda:country/KZ', 'ioda:asn/9198'
  name text primary key,
  kind text not null check (kind in ('ooni', 'ioda')),
  url text not null,
  state text not null default 'unknown' check (state in ('unknown', 'ok', 'failing', 'down')),
  last_poll_at timestamptz,
  last_success_at timestamptz,
  last_error_at timestamptz,
  last_error text,
  consecutive_failures integer not null default 0,
  -- When the next poll may start: the interval after a success, the back-off after a failure.
  next_poll_at timestamptz,
  records_seen bigint not null default 0,
  -- Resume points and per-URL validators (ETag, Last-Modified); bounded by the poller.
  cursor jsonb not null default '{}'::jsonb,
  updated_at timestamptz not null default now()
);
