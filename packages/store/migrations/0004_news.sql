-- News sources with their fetch health, the items read from them (each stored once) and the detention
-- reports that cluster items about one event from several outlets.

create table sources (
  name text primary key,
  url text not null,
  type text not null check (type in ('rss', 'atom', 'html')),
  state text not null default 'unknown' check (state in ('unknown', 'ok', 'failing', 'down')),
  last_fetch_at timestamptz,
  last_success_at timestamptz,
  last_error_at timestamptz,
  -- A code from the news package's fixed set, and the message that goes with it.
  last_error_code text,
  last_error text,
  consecutive_failures integer not null default 0,
  -- Validators for the next conditional GET.
  etag text,
  last_modified text,
  items_seen bigint not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table news_items (
  id bigint generated always as identity primary key,
  source text not null references sources (name),
  guid text,
  canonical_url text,
  title text not null,
  link text,
  published_at timestamptz,
  language text not null,
  detention boolean not null,
  score double precision not null,
  -- [{"value": 700, "qualifier": "approx"}, ...]
  counts jsonb not null default '[]'::jsonb,
  cities text[] not null default '{}',
  dates text[] not null default '{}',
  people text[] not null default '{}',
  evidence text not null default '',
  fetched_at timestamptz not null,
  check (guid is not null or canonical_url is not null)
);

-- An item is stored once: by its GUID within a source, and by its canonical URL across sources.
create unique index news_items_source_guid on news_items (source, guid);
create unique index news_items_canonical_url on news_items (canonical_url);
create index news_items_fetched_at on news_items (fetched_at);

create table reports (
  id bigint generated always as identity primary key,
  -- The event's day in local time; null when neither the text nor the item gives one.
  day date,
  cities text[] not null default '{}',
  max_count integer,
  count_qualifier text check (count_qualifier in ('exact', 'approx', 'at_least', 'up_to')),
  counts jsonb not null default '[]'::jsonb,
  language text not null,
  title text not null,
  evidence text not null,
  people text[] not null default '{}',
  first_seen_at timestamptz not null,
  updated_at timestamptz not null,
  version integer not null default 1,
  check ((max_count is null) = (count_qualifier is null))
);

create index reports_day on reports (day);
create index reports_first_seen_at on reports (first_seen_at);

create table report_items (
  report_id bigint not null references reports (id) on delete cascade,
  item_id bigint not null references news_items (id) on delete cascade,
  added_at timestamptz not null,
  primary key (report_id, item_id)
);

create index report_items_item on report_items (item_id);
