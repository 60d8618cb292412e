-- TLS observations: the chain each vantage was shown for a host and SNI, with the interception verdict.
-- The chain keeps every certificate's DER so verdicts can be recomputed when the known list grows.

create table tls_observations (
  id bigint generated always as identity primary key,
  measured_at timestamptz not null,
  received_at timestamptz not null default now(),
  vantage_id text not null references vantages (id),
  target_id text not null,
  host text not null,
  port integer not null check (port between 1 and 65535),
  sni text not null,
  verdict text not null check (
    verdict in ('known_interception', 'control_mismatch', 'untrusted_root', 'ok', 'handshake_failed')
  ),
  failure text,
  verified boolean not null,
  chain jsonb not null default '[]'::jsonb,
  protocol text,
  cipher text,
  evidence jsonb not null default '[]'::jsonb,
  known_match text,
  idempotency_key text,
  check (verdict <> 'handshake_failed' or failure is not null)
);

-- Range queries by time, and the control lookup: the latest chain a vantage saw for one host and SNI.
create index tls_observations_measured_at on tls_observations (measured_at);
create index tls_observations_host_sni_time on tls_observations (host, sni, measured_at);
create index tls_observations_vantage_time on tls_observations (vantage_id, measured_at);
-- A retried write of the same observation adds nothing.
create unique index tls_observations_idempotency_key on tls_observations (idempotency_key);
