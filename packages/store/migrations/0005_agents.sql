-- In-country agents: the tokens they upload with (only a SHA-256 of each is kept) and what their last
-- heartbeat said, so the api knows which vantages are alive, how far behind they are and how wrong their
-- clocks run.

create table agent_tokens (
  id bigint generated always as identity primary key,
  vantage_id text not null references vantages (id),
  token_hash text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  last_used_at timestamptz
);

create index agent_tokens_vantage on agent_tokens (vantage_id);

alter table vantages
  add column last_heartbeat_at timestamptz,
  -- The agent's own clock when it sent the heartbeat, and how far it is from the api's (agent minus api).
  add column heartbeat_agent_time timestamptz,
  add column clock_skew_ms bigint,
  -- Records spooled on the agent and not yet confirmed by the api.
  add column spool_backlog bigint,
  add column agent_version text;
