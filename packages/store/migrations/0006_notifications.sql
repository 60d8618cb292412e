-- The notification outbox (one row per message to one receiver over one channel, delivered at most once
-- by leasing) and silences created through the api.

create table notifications (
  id bigint generated always as identity primary key,
  -- Receiver, channel, event, sorted incident ids and their versions: planning twice adds nothing.
  idempotency_key text not null unique,
  channel text not null check (channel in ('email', 'webhook')),
  receiver text not null,
  group_key text not null,
  incident_ids bigint[] not null,
  -- One entry per incident, `id:event:version`, so planning knows what each incident was told about.
  items text[] not null,
  event text not null check (event in ('firing', 'resolved', 'update', 'reminder')),
  subject text not null,
  body_text text not null,
  body_html text not null,
  payload jsonb,
  state text not null default 'pending' check (state in ('pending', 'sending', 'sent', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null,
  lease_owner text,
  lease_until timestamptz,
  last_error text,
  created_at timestamptz not null,
  sent_at timestamptz,
  check ((state = 'sending') = (lease_until is not null))
);

create index notifications_due on notifications (next_attempt_at) where state in ('pending', 'sending');
create index notifications_incident_ids on notifications using gin (incident_ids);
create index notifications_created_at on notifications (created_at);

create table silences (
  id bigint generated always as identity primary key,
  -- Null matches every value; every matcher given must match.
  kinds text[],
  regions text[],
  vantages text[],
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  comment text not null,
  created_by text,
  created_at timestamptz not null default now(),
  check (starts_at < ends_at)
);

create index silences_ends_at on silences (ends_at);
