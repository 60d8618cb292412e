-- HTTPS interception incidents are one per interceptor key in a country from now on, whichever vantages
-- see it (`https_interception|country|<country>|<interceptor SPKI>`), no longer one per vantage. The open
-- incidents of the old identity are carried over: for each interceptor key and country, the first opened
-- takes the new identity and country scope, so the next round of any vantage updates it rather than opening
-- (and announcing) a new one. Its evidence keeps its shape; readers take its vantage from `vantage_id`.
-- Any other open incident of the same key (a second vantage's) keeps its old identity and closes when its
-- vantage's chains agree with the control again.
with legacy as (
  select i.id,
         'https_interception|country|' || upper(v.country) || '|' || split_part(i.identity, '|', 4) as identity,
         upper(v.country) as country,
         row_number() over (
           partition by upper(v.country), split_part(i.identity, '|', 4)
           order by i.started_at, i.id
         ) as n
  from incidents i
  join vantages v on v.id = i.vantage_id
  where i.kind = 'https_interception'
    and i.state <> 'resolved'
    and i.identity like 'https\_interception|vantage|%'
    and split_part(i.identity, '|', 4) <> ''
)
update incidents i
set identity = legacy.identity, scope_type = 'country', scope = legacy.country, updated_at = now()
from legacy
where i.id = legacy.id
  and legacy.n = 1
  and not exists (
    select 1 from incidents open
    where open.identity = legacy.identity and open.state <> 'resolved'
  );
