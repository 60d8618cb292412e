-- News sources as they really are. A source whose body was read only in part is `degraded` (not ok, not
-- failing), with what was wrong, where, and how many items were still recovered; the charset it was read
-- in and why are kept with it. A publisher's GUID no longer decides identity alone: one GUID reused for
-- different articles (different link and title) is several items, and how often a source did that is
-- counted.

alter table sources drop constraint sources_state_check;
alter table sources add constraint sources_state_check
  check (state in ('unknown', 'ok', 'degraded', 'failing', 'down'));

alter table sources
  add column degraded_code text,
  add column degraded_message text,
  add column degraded_line integer,
  add column degraded_items integer,
  add column charset text,
  add column charset_reason text,
  -- Items stored although their GUID was already taken by a different article of the same source.
  add column guid_collisions bigint not null default 0;

-- Was unique: a reused GUID made every later article a silent no-op. Identity within a source is now
-- decided by the store function that inserts (GUID plus link or title), under newswatch's filing lock.
drop index news_items_source_guid;
create index news_items_source_guid on news_items (source, guid);

-- Counts the text gives per city ([{"city": "Almaty", "value": 200, "qualifier": "at_least"}]), kept apart
-- from the total: an item's own, and the report's tally (the largest figure per city over its items).
alter table news_items add column city_counts jsonb not null default '[]'::jsonb;
alter table reports add column city_counts jsonb not null default '[]'::jsonb;

-- What was doubtful about an item as read: its publication time ('unparsed', 'future', 'too_early'; the
-- time is kept as written and the fetch time orders it), and a link kept as written because no base made
-- it absolute.
alter table news_items add column date_issue text check (date_issue in ('unparsed', 'future', 'too_early'));
alter table news_items add column link_unresolved boolean not null default false;
