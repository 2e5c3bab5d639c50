-- name: upsert
-- Inserts a listing or, when replace, replaces it by id (source null: keep it); returns whether it was new
-- (unchanged, or kept because not replace: nothing).
insert into resource as r (
    id, name, kind, programme, hosts_participation, description, area, lat, lon, schedule,
    capacity_total, capacity_open, contact_level, physical_load, reward, trial, min_age, max_age,
    accommodations, status, assured_at, contact_role, phone, fax, email, url, address, source)
values (
    %(id)s, %(name)s, %(kind)s, %(programme)s, %(hosts_participation)s, %(description)s, %(area)s,
    %(lat)s, %(lon)s, %(schedule)s, %(capacity_total)s, %(capacity_open)s, %(contact_level)s,
    %(physical_load)s, %(reward)s, %(trial)s, %(min_age)s, %(max_age)s, %(accommodations)s,
    %(status)s, %(assured_at)s, %(contact_role)s, %(phone)s, %(fax)s, %(email)s, %(url)s, %(address)s,
    coalesce(%(source)s, 'registry'))
on conflict (id) do update set
    name = excluded.name, kind = excluded.kind, programme = excluded.programme,
    hosts_participation = excluded.hosts_participation, description = excluded.description,
    area = excluded.area, lat = excluded.lat, lon = excluded.lon, schedule = excluded.schedule,
    capacity_total = excluded.capacity_total, capacity_open = excluded.capacity_open,
    contact_level = excluded.contact_level, physical_load = excluded.physical_load,
    reward = excluded.reward, trial = excluded.trial, min_age = excluded.min_age,
    max_age = excluded.max_age, accommodations = excluded.accommodations, status = excluded.status,
    assured_at = excluded.assured_at, contact_role = excluded.contact_role, phone = excluded.phone,
    fax = excluded.fax, email = excluded.email, url = excluded.url, address = excluded.address,
    source = coalesce(%(source)s, r.source), updated_at = now()
where %(replace)s
  and (r.name, r.kind, r.programme, r.hosts_participation, r.description, r.area, r.lat, r.lon,
       r.schedule, r.capacity_total, r.capacity_open, r.contact_level, r.physical_load, r.reward,
       r.trial, r.min_age, r.max_age, r.accommodations, r.status, r.assured_at, r.contact_role, r.phone,
       r.fax, r.email, r.url, r.address, r.source)
      is distinct from
      (excluded.name, excluded.kind, excluded.programme, excluded.hosts_participation,
       excluded.description, excluded.area, excluded.lat, excluded.lon, excluded.schedule,
       excluded.capacity_total, excluded.capacity_open, excluded.contact_level,
       excluded.physical_load, excluded.reward, excluded.trial, excluded.min_age, excluded.max_age,
       excluded.accommodations, excluded.status, excluded.assured_at, excluded.contact_role,
       excluded.phone, excluded.fax, excluded.email, excluded.url, excluded.address,
       coalesce(%(source)s, r.source))
returning id, (xmax = 0) as inserted;

-- name: all
-- Every listing in id order, as its fields.
select id, name, kind, programme, hosts_participation, description, area, lat, lon, schedule,
       capacity_total, capacity_open, contact_level, physical_load, reward, trial, min_age, max_age,
       accommodations, status, assured_at, contact_role, phone, fax, email, url, address
from resource
order by id;

-- name: get
-- One listing by id.
select id, name, kind, programme, hosts_participation, description, area, lat, lon, schedule,
       capacity_total, capacity_open, contact_level, physical_load, reward, trial, min_age, max_age,
       accommodations, status, assured_at, contact_role, phone, fax, email, url, address
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
       accommodations, status, assured_at, contact_role, phone, fax, email, url, address
from resource
where id = any(%(ids)s);

-- name: get_for_update
-- One listing and its version, the row locked until the transaction ends (as a confirmation locks it).
select id, name, kind, programme, hosts_participation, description, area, lat, lon, schedule,
       capacity_total, capacity_open, contact_level, physical_load, reward, trial, min_age, max_age,
       accommodations, status, assured_at, contact_role, phone, fax, email, url, address, version
from resource
where id = %(id)s
for update;

-- name: get_versioned
-- One listing and its version, read together.
select id, name, kind, programme, hosts_participation, description, area, lat, lon, schedule,
       capacity_total, capacity_open, contact_level, physical_load, reward, trial, min_age, max_age,
       accommodations, status, assured_at, contact_role, phone, fax, email, url, address, version
from resource
where id = %(id)s;

-- name: reserved_places
-- How many of a listing's places are held by placements still under way.
select count(*) from live_placement where resource_id = %(id)s and reserved;

-- name: assure
-- Sets a listing's 確認日 and nothing else.
update resource set assured_at = %(when)s, updated_at = now() where id = %(id)s;

-- name: find
-- One page of listings for the registry table (only the ids given, if any): every word of %(q)s found (NFKC, any case), the filters given (null: any; programme 'none': not an existing programme), the chosen order; each row carries the total found (an empty page: one row with the total only).
with found as (
    select id, name, kind, programme, area, status, capacity_total, capacity_open, assured_at, source,
           row_number() over (order by
               case when %(sort)s::text = 'name' then name end,
               case when %(sort)s::text = 'area' then area end,
               case when %(sort)s::text = 'assured' then assured_at end nulls first,
               case when %(sort)s::text = 'open' then capacity_open end desc nulls last,
               source <> 'seed', kind, name, id) as n
    from resource
    where (%(only)s::text[] is null or id = any(%(only)s))
      and (%(area)s::text is null or area = %(area)s)
      and (%(kind)s::text is null or kind = %(kind)s)
      and (%(programme)s::text is null or coalesce(programme, 'none') = %(programme)s)
      and (%(status)s::text is null or status = %(status)s)
      and not exists (
          select 1 from regexp_split_to_table(lower(normalize(%(q)s::text, nfkc)), '\s+') as w (word)
          where w.word <> '' and strpos(lower(normalize(name || ' ' || description || ' ' || area, nfkc)), w.word) = 0)
)
select t.total, f.*
from (select count(*) as total from found) as t
left join found as f on f.n > %(offset)s and f.n <= %(offset)s + %(limit)s
order by f.n;

-- name: find_areas
-- The areas of the listings given (all when null), for the registry's filter.
select distinct area from resource
where %(only)s::text[] is null or id = any(%(only)s)
order by area;

-- name: choices
-- Every listing as a choice by name: its kind, id, area and address tell apart places of the same name.
select id, name, kind, programme, area, address, status, source
from resource
order by area, name, id;

-- name: source_of
-- Where a listing came from (registry, seed, wamnet, hsds, admin) and when it was first registered.
select source, created_at, updated_at from resource where id = %(id)s;

-- name: placement_counts
-- A listing's placements counted by status (cancelled ones left out), and the ended ones by reason.
select status, coalesce(end_reason, '') as end_reason, count(*) as placements
from placement
where resource_id = %(id)s and status <> 'cancelled'
group by status, end_reason
order by status, end_reason;

-- name: hosts_of
-- The host accounts tied to a listing.
select u.name
from user_resource ur join app_user u on u.id = ur.user_id
where ur.resource_id = %(id)s
order by u.name;
