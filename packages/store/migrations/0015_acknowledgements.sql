-- Acknowledgements of open incidents: an operator says "I am on it", as in Alertmanager's, PagerDuty's and
-- Grafana OnCall's acknowledge. At most one per incident. Who is the name of the API key that acknowledged
-- (never the secret). An acknowledgement holds only while the incident it answered stands: the trigger
-- below removes it when the incident resolves or its level rises (info < warning < critical), so a worse
-- state is never hidden behind an earlier "on it". No foreign keys: an acknowledged incident is open, and
-- open incidents are never deleted (retention takes resolved ones only), while a key in the row would stop
-- `truncate incidents` and the deletion of a revoked key.
create table incident_acknowledgements (
  incident_id bigint primary key,
  acknowledged_by text not null check (length(acknowledged_by) between 1 and 200),
  -- The key that acknowledged, for the record (its name is in acknowledged_by).
  api_key_id bigint,
  acknowledged_at timestamptz not null,
  comment text check (length(comment) <= 2000),
  -- The incident's level when it was acknowledged; a higher level clears the acknowledgement.
  level text not null check (level in ('info', 'warning', 'critical'))
);

create function incident_acknowledgement_clear() returns trigger language plpgsql as $$
begin
  if new.state = 'resolved'
     or array_position(array['info', 'warning', 'critical'], new.level)
        > array_position(array['info', 'warning', 'critical'], old.level) then
    delete from incident_acknowledgements where incident_id = new.id;
  end if;
  return new;
end;
$$;

create trigger incidents_clear_acknowledgement
  after update of state, level on incidents
  for each row
  when (new.state is distinct from old.state or new.level is distinct from old.level)
  execute function incident_acknowledgement_clear();
