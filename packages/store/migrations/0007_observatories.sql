-- Data from other observatories kept beside Vigil's own: IODA's time series (one row per point, so a
-- rally window is a plain range query) and IODA's outage alerts and events. OONI measurements go into the
-- measurements table with source 'ooni'.

create table observatory_signals (
  source text not null default 'ioda',
  entity_type text not null,
  entity_code text not null,
  -- bgp, ping-slash24, gtr, merit-nt, ...
  datasource text not null,
  at timestamptz not null,
  -- Seconds between points of the series this point came from.
  step integer not null check (step > 0),
  -- Null where the series has a gap.
  value double precision,
  imported_at timestamptz not null default now(),
  -- A point is stored once: re-importing a file adds nothing.
  primary key (source, entity_type, entity_code, datasource, at)
);

create index observatory_signals_entity_time on observatory_signals (entity_type, entity_code, at);

create table observatory_events (
  id bigint generated always as identity primary key,
  source text not null default 'ioda',
  -- 'alert': a level change of one datasource at one time; 'event': an outage with a start and a duration.
  kind text not null check (kind in ('alert', 'event')),
  entity_type text not null,
  entity_code text not null,
  entity_name text,
  -- Empty when the event summarises several datasources.
  datasource text not null default '',
  started_at timestamptz not null,
  ended_at timestamptz,
  level text,
  score double precision,
  details jsonb not null default '{}'::jsonb,
  imported_at timestamptz not null default now(),
  check (ended_at is null or ended_at >= started_at)
);

create unique index observatory_events_identity
  on observatory_events (source, kind, entity_type, entity_code, datasource, started_at);
create index observatory_events_entity_time on observatory_events (entity_type, entity_code, started_at);
