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
