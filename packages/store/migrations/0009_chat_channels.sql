-- Chat channels in the outbox: Telegram, Matrix, Signal and ntfy beside email and webhook; the id the
-- remote gave each delivered message (so a later message can reply to it); and receivers refused for good.

alter table notifications drop constraint notifications_channel_check;
alter table notifications add constraint notifications_channel_check
  check (channel in ('email', 'webhook', 'telegram', 'matrix', 'signal', 'ntfy'));

-- Telegram message_id, Matrix event_id, Signal timestamp, ntfy message id (bounded where it enters).
alter table notifications add column remote_id text;

-- The first message about an incident to a receiver on a channel, looked up when a reply is sent.
create index notifications_thread on notifications (receiver, channel, id) where remote_id is not null;

-- A receiver whose channel refused a message for good (bad token, chat not found, bot removed): failing
-- until a later message to it is delivered.
create table notification_receivers (
  receiver text not null,
  channel text not null,
  failing_since timestamptz,
  last_error text,
  updated_at timestamptz not null,
  primary key (receiver, channel)
);
