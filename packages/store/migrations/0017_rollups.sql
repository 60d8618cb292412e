-- Hourly rollups of Vigil's own measurements (sources 'vigil' and 'agent'), so baselines and reports over
-- days read a few rows per hour instead of every probe. Raw measurements stay the source of truth: an hour
-- is read from its rollup only when it is closed, rolled up and not marked dirty since.
--
-- rollup_series_hourly: one row per hour and series (vantage, target, kind) and measurement region, with
--   successes, total, failures by OONI failure string and a histogram of the durations of successful
--   probes. Histogram bucket i holds durations d (ms) with floor(16 * log2(d)) = i, d clamped to
--   [2^-10, 2^25] ms: each bucket is 2^(1/16) wide (4.4 %), so hours add up exactly and a percentile read
--   as its bucket's geometric middle is within 2^(1/32) (2.2 %) of the exact one.
-- rollup_vantage_hourly: for each hour, one row per five-minute slot, vantage and measurement region
--   (successes, total, failures), from which the region, country and network scopes are summed at read
--   time under the vantage's registered role and AS number, as the raw reads do; the slots serve the rally
--   report's five-minute buckets.
-- rollup_dirty_hours: hours whose raw rows changed since they were last rolled up. Every insert into
--   measurements marks its hours (a statement trigger, so agents' uploads, imports and COPY alike); a late
--   upload for an old hour marks it again and the rollup job rolls it once more.
create table rollup_series_hourly (
  hour timestamptz not null,
  vantage_id text not null,
  target_id text not null,
  kind text not null,
  region text,
  ok integer not null,
  total integer not null,
  failures jsonb not null default '{}'::jsonb,
  duration_buckets integer[] not null default '{}',
  duration_counts integer[] not null default '{}'
);
create index rollup_series_hourly_hour on rollup_series_hourly (hour);

create table rollup_vantage_hourly (
  hour timestamptz not null,
  -- The five-minute slot of the hour (aligned to the Unix epoch, as the report's buckets are).
  slot timestamptz not null,
  vantage_id text not null,
  region text,
  ok integer not null,
  total integer not null,
  failures jsonb not null default '{}'::jsonb
);
create index rollup_vantage_hourly_hour on rollup_vantage_hourly (hour);
create index rollup_vantage_hourly_region_slot on rollup_vantage_hourly (region, slot);

create table rollup_dirty_hours (
  hour timestamptz primary key,
  marked_at timestamptz not null default clock_timestamp(),
  -- Raised by every marking, so the job removes a mark only when no insert came after it read the hour.
  version bigint not null default 0
);

create function rollup_mark_dirty_hours() returns trigger language plpgsql as $$
begin
  insert into rollup_dirty_hours (hour)
  select distinct date_trunc('hour', measured_at, 'UTC') from new_rows
  on conflict (hour) do update set marked_at = clock_timestamp(), version = rollup_dirty_hours.version + 1;
  return null;
end
$$;

create trigger measurements_mark_dirty_hours
after insert on measurements
referencing new table as new_rows
for each statement execute function rollup_mark_dirty_hours();

-- Hours stored before rollups existed are rolled up by the job like any other dirty hour.
insert into rollup_dirty_hours (hour)
select distinct date_trunc('hour', measured_at, 'UTC') from measurements
on conflict (hour) do nothing;

-- A vantage's liveness is its newest received measurement: with this index that is the first entry of a
-- backward scan rather than a read of every row of the baseline period.
create index measurements_vantage_received on measurements (vantage_id, received_at);
