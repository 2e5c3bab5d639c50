-- name: upsert
-- Inserts a listing or replaces it by id (source null: keep it); returns whether it was new (unchanged: nothing).
insert into resource as r (
    id, name, kind, programme, hosts_participation, description, area, lat, lon, schedule,
    capacity_total, capacity_open, contact_level, physical_load, reward, trial, min_age, max_age,
    accommodations, status, assured_at, source)
values (
    %(id)s, %(name)s, %(kind)s, %(programme)s, %(hosts_participation)s, %(description)s, %(area)s,
    %(lat)s, %(lon)s, %(schedule)s, %(capacity_total)s, %(capacity_open)s, %(contact_level)s,
    %(physical_load)s, %(reward)s, %(trial)s, %(min_age)s, %(max_age)s, %(accommodations)s,
    %(status)s, %(assured_at)s, coalesce(%(source)s, 'registry'))
on conflict (id) do update set
    name = excluded.name, kind = excluded.kind, programme = excluded.programme,
    hosts_participation = excluded.hosts_participation, description = excluded.description,
    area = excluded.area, lat = excluded.lat, lon = excluded.lon, schedule = excluded.schedule,
    capacity_total = excluded.capacity_total, capacity_open = excluded.capacity_open,
    contact_level = excluded.contact_level, physical_load = excluded.physical_load,
    reward = excluded.reward, trial = excluded.trial, min_age = excluded.min_age,
    max_age = excluded.max_age, accommodations = excluded.accommodations, status = excluded.status,
    assured_at = excluded.assured_at, source = coalesce(%(source)s, r.source), updated_at = now()
where (r.name, r.kind, r.programme, r.hosts_participation, r.description, r.area, r.lat, r.lon,
       r.schedule, r.capacity_total, r.capacity_open, r.contact_level, r.physical_load, r.reward,
       r.trial, r.min_age, r.max_age, r.accommodations, r.status, r.assured_at, r.source)
      is distinct from
      (excluded.name, excluded.kind, excluded.programme, excluded.hosts_participation,
       excluded.description, excluded.area, excluded.lat, excluded.lon, excluded.schedule,
       excluded.capacity_total, excluded.capacity_open, excluded.contact_level,
       excluded.physical_load, excluded.reward, excluded.trial, excluded.min_age, excluded.max_age,
       excluded.accommodations, excluded.status, excluded.assured_at, coalesce(%(source)s, r.source))
returning id, (xmax = 0) as inserted;

-- name: all
-- Every listing in id order, as its fields.
select id, name, kind, programme, hosts_participation, description, area, lat, lon, schedule,
       capacity_total, capacity_open, contact_level, physical_load, reward, trial, min_age, max_age,
       accommodations, status, assured_at
from resource
order by id;

-- name: get
-- One listing by id.
select id, name, kind, programme, hosts_participation, description, area, lat, lon, schedule,
       capacity_total, capacity_open, contact_level, physical_load, reward, trial, min_age, max_age,
       accommodations, status, assured_at
from resource
where id = %(id)s;

-- name: summary
-- Listings for a registry table (all, or only the ids given): the fields a coordinator scans.
select id, name, kind, programme, area, status, capacity_total, capacity_open, assured_at, source
from resource
where %(only)s::text[] is null or id = any(%(only)s)
order by source <> 'seed', kind, name
limit %(limit)s;

-- name: count
-- How many listings there are.
select count(*) from resource;

-- name: by_ids
-- The records with these ids.
select id, name, kind, programme, hosts_participation, description, area, lat, lon, schedule,
       capacity_total, capacity_open, contact_level, physical_load, reward, trial, min_age, max_age,
       accommodations, status, assured_at
from resource
where id = any(%(ids)s);

-- name: get_for_update
-- One listing and its version, the row locked until the transaction ends (as a confirmation locks it).
select id, name, kind, programme, hosts_participation, description, area, lat, lon, schedule,
       capacity_total, capacity_open, contact_level, physical_load, reward, trial, min_age, max_age,
       accommodations, status, assured_at, version
from resource
where id = %(id)s
for update;

-- name: get_versioned
-- One listing and its version, read together.
select id, name, kind, programme, hosts_participation, description, area, lat, lon, schedule,
       capacity_total, capacity_open, contact_level, physical_load, reward, trial, min_age, max_age,
       accommodations, status, assured_at, version
from resource
where id = %(id)s;

-- name: reserved_places
-- How many of a listing's places are held by placements still under way.
select count(*) from live_placement where resource_id = %(id)s and reserved;

-- name: assure
-- Sets a listing's 確認日 and nothing else.
update resource set assured_at = %(when)s, updated_at = now() where id = %(id)s;
