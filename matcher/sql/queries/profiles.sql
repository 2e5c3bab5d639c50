-- name: upsert
-- Inserts a needs profile or replaces it by id; returns whether it was new (unchanged rows return nothing).
insert into needs_profile as p (
    id, age_band, area, lat, lon, max_travel_km, availability, contact_tolerance, physical_capacity,
    reward_preference, needs_accommodations, interests, narrative, stage, facts, consent, status, consent_date)
values (
    %(id)s, %(age_band)s, %(area)s, %(lat)s, %(lon)s, %(max_travel_km)s, %(availability)s,
    %(contact_tolerance)s, %(physical_capacity)s, %(reward_preference)s, %(needs_accommodations)s,
    %(interests)s, %(narrative)s, %(stage)s, %(facts)s, %(consent)s, %(status)s, %(consent_date)s)
on conflict (id) do update set
    age_band = excluded.age_band, area = excluded.area, lat = excluded.lat, lon = excluded.lon,
    max_travel_km = excluded.max_travel_km, availability = excluded.availability,
    contact_tolerance = excluded.contact_tolerance, physical_capacity = excluded.physical_capacity,
    reward_preference = excluded.reward_preference, needs_accommodations = excluded.needs_accommodations,
    interests = excluded.interests, narrative = excluded.narrative, stage = excluded.stage,
    facts = excluded.facts, consent = excluded.consent, status = excluded.status,
    consent_date = excluded.consent_date, updated_at = now()
where (p.age_band, p.area, p.lat, p.lon, p.max_travel_km, p.availability, p.contact_tolerance,
       p.physical_capacity, p.reward_preference, p.needs_accommodations, p.interests, p.narrative,
       p.stage, p.facts, p.consent, p.status, p.consent_date)
      is distinct from
      (excluded.age_band, excluded.area, excluded.lat, excluded.lon, excluded.max_travel_km,
       excluded.availability, excluded.contact_tolerance, excluded.physical_capacity,
       excluded.reward_preference, excluded.needs_accommodations, excluded.interests,
       excluded.narrative, excluded.stage, excluded.facts, excluded.consent, excluded.status,
       excluded.consent_date)
returning id, (xmax = 0) as inserted;

-- name: all
-- Every needs profile in id order, as its fields.
select id, age_band, area, lat, lon, max_travel_km, availability, contact_tolerance, physical_capacity,
       reward_preference, needs_accommodations, interests, narrative, stage, facts, consent, status, consent_date
from needs_profile
order by id;

-- name: get
-- One needs profile by id.
select id, age_band, area, lat, lon, max_travel_km, availability, contact_tolerance, physical_capacity,
       reward_preference, needs_accommodations, interests, narrative, stage, facts, consent, status, consent_date
from needs_profile
where id = %(id)s;

-- name: count
-- How many needs profiles there are.
select count(*) from needs_profile;

-- name: by_ids
-- The records with these ids.
select id, age_band, area, lat, lon, max_travel_km, availability, contact_tolerance, physical_capacity,
       reward_preference, needs_accommodations, interests, narrative, stage, facts, consent, status, consent_date
from needs_profile
where id = any(%(ids)s);

-- name: find
-- One page of profiles for the list: every word of %(q)s found (NFKC, any case), the filters given (null: any), the chosen order; each row carries the total found (an empty page: one row with the total only).
with found as (
    select p.id, p.age_band, p.area, p.stage, p.interests, p.consent, p.status, p.updated_at,
           p.coordinator_id, u.name as coordinator_name,
           row_number() over (order by
               case when %(sort)s::text = 'updated' then p.updated_at end desc,
               case when %(sort)s::text = 'area' then p.area end,
               case when %(sort)s::text = 'stage' then p.stage end,
               case when %(sort)s::text = 'coordinator' then u.name end nulls last,
               p.id) as n
    from needs_profile p
    left join app_user u on u.id = p.coordinator_id
    where (%(area)s::text is null or p.area = %(area)s)
      and (%(status)s::text is null or p.status = %(status)s)
      and (%(coordinator_id)s::bigint is null or p.coordinator_id = %(coordinator_id)s)
      and (not %(unassigned)s::boolean or p.coordinator_id is null)
      and not exists (
          select 1 from regexp_split_to_table(lower(normalize(%(q)s::text, nfkc)), '\s+') as w (word)
          where w.word <> '' and strpos(lower(normalize(p.id || ' ' || p.area || ' ' || p.interests || ' ' || p.narrative, nfkc)),
                       w.word) = 0)
)
select t.total, f.*
from (select count(*) as total from found) as t
left join found as f on f.n > %(offset)s and f.n <= %(offset)s + %(limit)s
order by f.n;

-- name: areas
-- The areas profiles are in, for the list's filter.
select distinct area from needs_profile order by area;

-- name: coordinators
-- Coordinator accounts that can be 担当 (not disabled), by name.
select id, name from app_user where role = 'coordinator' and not disabled order by name;

-- name: coordinator
-- One profile's 担当 (id and account name; both null when nobody is).
select p.coordinator_id, u.name as coordinator_name
from needs_profile p left join app_user u on u.id = p.coordinator_id
where p.id = %(id)s;

-- name: coordinator_account
-- An account that may be 担当: a coordinator not disabled, by id.
select id, name from app_user where id = %(id)s and role = 'coordinator' and not disabled;

-- name: assign
-- Sets (or clears, with null) a profile's 担当.
update needs_profile set coordinator_id = %(coordinator_id)s where id = %(id)s;

-- name: assign_creator
-- Makes the account that created a profile its 担当 when it is a coordinator and nobody is yet; returns the name.
update needs_profile p set coordinator_id = u.id
from app_user u
where p.id = %(id)s and p.coordinator_id is null
  and u.name = %(name)s and u.role = 'coordinator' and not u.disabled
returning u.name;
