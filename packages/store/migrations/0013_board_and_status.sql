-- The operator board's browser sessions and the public status page's email subscribers.

-- A browser session opened by presenting an API key at /login. Only a SHA-256 of the session token is kept
-- (the token is 256 random bits, sent in an HttpOnly cookie); a session dies with its key's revocation.
create table operator_sessions (
  token_hash text primary key check (token_hash ~ '^[0-9a-f]{64}$'),
  api_key_id bigint not null references api_keys (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  check (created_at < expires_at)
);
create index operator_sessions_expires_at on operator_sessions (expires_at);

-- Subscribers of the public status page. Double opt-in: a row is `pending` until its confirmation link is
-- followed; consent_at records when the subscriber confirmed. The confirmation token is kept as SHA-256
-- only; the unsubscribe token is kept as it is, because every message must carry it in its link, and all
-- it can do is end that one subscription.
create table status_subscribers (
  id bigint generated always as identity primary key,
  email text not null check (length(email) between 3 and 254),
  -- What the subscriber follows: the whole country or one region.
  scope_type text not null check (scope_type in ('country', 'region')),
  scope text not null check (length(scope) between 1 and 200),
  state text not null default 'pending' check (state in ('pending', 'confirmed', 'unsubscribed')),
  confirm_token_hash text not null unique check (confirm_token_hash ~ '^[0-9a-f]{64}$'),
  unsubscribe_token text not null unique check (unsubscribe_token ~ '^[A-Za-z0-9_-]{43}$'),
  requested_at timestamptz not null,
  consent_at timestamptz,
  unsubscribed_at timestamptz,
  check ((state = 'confirmed') = (consent_at is not null and unsubscribed_at is null))
);
-- One live subscription per address and scope; an unsubscribed row stays as the record of consent withdrawn.
create unique index status_subscribers_live on status_subscribers (lower(email), scope_type, scope)
  where state <> 'unsubscribed';
