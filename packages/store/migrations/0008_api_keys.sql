-- Operator API keys: who may read, operate (silences, acknowledgements) or administer (agent tokens and
-- keys) through the api. Like agent tokens, only a SHA-256 of each key is kept; the key is shown once.

create table api_keys (
  id bigint generated always as identity primary key,
  -- Who holds the key or what it is for, e.g. "grafana" or "duty phone"; shown by `vigil api-key list`.
  name text not null check (length(name) between 1 and 200),
  -- A higher scope includes the lower ones: read < operate < admin.
  scope text not null check (scope in ('read', 'operate', 'admin')),
  key_hash text not null unique check (key_hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  last_used_at timestamptz
);
