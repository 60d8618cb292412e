-- Rows the database refused for a reason in their data (a check, a type's range, a size limit), kept aside
-- with the error instead of holding their batch hostage: the rest of the batch is stored, this row waits
-- here for a person to look at it. The payload is the row as JSON text: escapes such as \u0000 stay
-- escapes, so the very bytes that were refused can be stored and read back.

create table quarantine (
  id bigint generated always as identity primary key,
  -- The table the row was headed for, and who sent it (`prober`, `agent:<vantage>`, ...).
  table_name text not null,
  source text not null,
  -- The SQLSTATE the database answered with, when it gave one.
  error_code text,
  error_message text not null,
  payload text not null,
  created_at timestamptz not null default now()
);

create index quarantine_created_at on quarantine (created_at);

-- Outbox keys are a SHA-256 of their parts from now on (receiver, channel, event, incident ids and versions,
-- all kept in their own columns already); a key that grew with the size of its group once exceeded the
-- unique index's row limit. The check keeps any future key fixed-size; rows planned before stay as they are.
alter table notifications
  add constraint notifications_idempotency_key_size check (length(idempotency_key) <= 200) not valid;
