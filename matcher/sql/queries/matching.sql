-- name: classify
-- The listings named (ids) as seen from one profile: failed constraints, rejection, values, similarity.
select r.id, r.name, r.kind, r.programme, r.hosts_participation, r.status, r.capacity_total,
       r.capacity_open, r.schedule, r.contact_level, r.physical_load, r.min_age, r.max_age,
       r.accommodations, r.reward, r.assured_at,
       exclusion_codes(r, p, %(eligible)s, %(min_overlap)s)
           || case when rj.resource_id is null then '{}'::text[] else array['rejected'] end
           || case when pl.id is null then '{}'::text[] else array['placed'] end as codes,
       rj.reason as rejection_reason,
       great_circle_km(r.lat, r.lon, p.lat, p.lon) as distance_km,
       overlap_minutes(r.week_minutes, p.week_minutes) as overlap_minutes,
       1 - (re.embedding <=> pe.embedding) as dense
from needs_profile p
cross join resource r
left join resource_embedding re on re.resource_id = r.id and re.model = %(model)s
left join profile_embedding pe on pe.profile_id = p.id and pe.model = %(model)s
left join rejection rj on rj.profile_id = p.id and rj.resource_id = r.id
left join live_placement pl on pl.profile_id = p.id and pl.resource_id = r.id
where p.id = %(profile_id)s and r.id = any(%(ids)s::text[])
order by r.id;

-- name: shown_ids
-- What a profile page shows at once: the feasible listings (only those in the box around the person can be) and this profile's own decisions.
select r.id from resource r join needs_profile p on p.id = %(profile_id)s
where is_feasible(r, p, %(eligible)s, %(min_overlap)s)
  and (r.lat is null or (r.lat between %(lat_low)s and %(lat_high)s
       and (%(lon_low)s::float8 is null or r.lon between %(lon_low)s and %(lon_high)s)))
union
select resource_id from rejection where profile_id = %(profile_id)s
union
select resource_id from live_placement where profile_id = %(profile_id)s;

-- name: all_ids
-- Every listing's id.
select id from resource;

-- name: registry_version
-- Changes whenever a listing is added or removed or its text written: keys the in-memory lexical index.
select current_database() || ':' || version from registry_version;

-- name: registry_texts
-- Every listing's text (name。description) as the lexical index reads it, with the words stored for it
-- (null when none are; their hash says which text they came from).
select r.id, r.name || '。' || r.description, w.text_hash, w.features
from resource r left join listing_words w on w.resource_id = r.id
order by r.id;

-- name: store_listing_words
-- Keeps the words of texts just analysed (a listing removed or changed meanwhile is skipped).
insert into listing_words (resource_id, text_hash, features)
select u.id, u.text_hash, u.features
from unnest(%(ids)s::text[], %(hashes)s::text[], %(features)s::text[]) as u (id, text_hash, features)
join resource r on r.id = u.id and md5(%(analyser)s || r.name || '。' || r.description) = u.text_hash
on conflict (resource_id) do update set text_hash = excluded.text_hash, features = excluded.features;

-- name: lock_timeout
-- How long a statement may wait for a lock now.
select current_setting('lock_timeout');

-- name: set_lock_timeout
-- How long a statement of this transaction may wait for a lock (until the transaction ends).
select set_config('lock_timeout', %(timeout)s, true);

-- name: listing_texts
-- The text of these listings as the lexical index read it, for the reasons of the proposals shown.
select id, name || '。' || description from resource where id = any(%(ids)s);

-- name: reject
-- Records that a coordinator turned a proposal down, and why (a later rejection replaces the reason).
insert into rejection (profile_id, resource_id, reason, rejected_by, features)
values (%(profile_id)s, %(resource_id)s, %(reason)s, %(rejected_by)s, %(features)s)
on conflict (profile_id, resource_id) do update
set reason = excluded.reason, rejected_by = excluded.rejected_by, rejected_at = now(),
    features = coalesce(excluded.features, rejection.features);

-- name: nearest_feasible_hnsw
-- Feasible listings nearest to vector %(q)s, walking the HNSW index for dimension {dim} (iterative scan).
select r.id, r.name, r.kind, r.programme, r.hosts_participation, r.status, r.capacity_total,
       r.capacity_open, r.schedule, r.contact_level, r.physical_load, r.min_age, r.max_age,
       r.accommodations, r.reward, r.assured_at, '{{}}'::text[] as codes, null::text as rejection_reason,
       great_circle_km(r.lat, r.lon, p.lat, p.lon) as distance_km,
       overlap_minutes(r.week_minutes, p.week_minutes) as overlap_minutes,
       1 - (re.embedding::vector({dim}) <=> %(q)s::vector({dim})) as dense
from resource_embedding re
join resource r on r.id = re.resource_id
join needs_profile p on p.id = %(profile_id)s
where vector_dims(re.embedding) = {dim} and re.model = %(model)s
  and is_feasible(r, p, %(eligible)s, %(min_overlap)s)
  and (not %(tier1_only)s or r.programme = any(%(eligible)s))
  and not exists (select 1 from rejection rj where rj.profile_id = p.id and rj.resource_id = r.id)
  and not exists (select 1 from live_placement pl where pl.profile_id = p.id and pl.resource_id = r.id)
order by re.embedding::vector({dim}) <=> %(q)s::vector({dim})
limit %(pool)s;

-- name: nearest_feasible_exact
-- Feasible listings nearest to vector %(q)s, the best %(pool)s of each tier: hard constraints first
-- (on the listings in the box around the person only), then exact distances for what is left.
with feasible as materialized (
    select r.id, coalesce(r.programme = any(%(eligible)s), false) as tier1
    from resource r
    join needs_profile p on p.id = %(profile_id)s
    where is_feasible(r, p, %(eligible)s, %(min_overlap)s)
      and (r.lat is null or (r.lat between %(lat_low)s and %(lat_high)s
           and (%(lon_low)s::float8 is null or r.lon between %(lon_low)s and %(lon_high)s)))
      and not exists (select 1 from rejection rj where rj.profile_id = p.id and rj.resource_id = r.id)
      and not exists (select 1 from live_placement pl where pl.profile_id = p.id and pl.resource_id = r.id)
),
ranked as (
    select f.id, re.embedding::vector({dim}) <=> %(q)s::vector({dim}) as distance,
           row_number() over (partition by f.tier1 order by re.embedding::vector({dim}) <=> %(q)s::vector({dim})) as n
    from feasible f
    join resource_embedding re on re.resource_id = f.id and re.model = %(model)s and vector_dims(re.embedding) = {dim}
)
select r.id, r.name, r.kind, r.programme, r.hosts_participation, r.status, r.capacity_total,
       r.capacity_open, r.schedule, r.contact_level, r.physical_load, r.min_age, r.max_age,
       r.accommodations, r.reward, r.assured_at, '{{}}'::text[] as codes, null::text as rejection_reason,
       great_circle_km(r.lat, r.lon, p.lat, p.lon) as distance_km,
       overlap_minutes(r.week_minutes, p.week_minutes) as overlap_minutes,
       1 - k.distance as dense
from ranked k
join resource r on r.id = k.id
join needs_profile p on p.id = %(profile_id)s
where k.n <= %(pool)s
order by k.distance;

-- name: profile_vector
-- The stored vector of one profile for one model.
select embedding from profile_embedding where profile_id = %(profile_id)s and model = %(model)s;

-- name: open_tier1
-- Names of the 既存事業 listings still open to a profile: eligible programmes it passes, not turned down or placed.
select r.name
from resource r
join needs_profile p on p.id = %(profile_id)s
where r.programme = any(%(eligible)s)
  and is_feasible(r, p, %(eligible)s, %(min_overlap)s)
  and not exists (select 1 from rejection rj where rj.profile_id = p.id and rj.resource_id = r.id)
  and not exists (select 1 from live_placement pl where pl.profile_id = p.id and pl.resource_id = r.id)
order by r.name;

-- name: nearly_feasible
-- Listings failing exactly one changeable constraint, not turned down for nor placed with the profile.
select r.id, c.codes[1] as code
from needs_profile p
cross join resource r
cross join lateral (select exclusion_codes(r, p, %(eligible)s, %(min_overlap)s) as codes) c
where p.id = %(profile_id)s and r.status = 'active'
  and cardinality(c.codes) = 1 and c.codes[1] = any(%(changeable)s)
  and not exists (select 1 from rejection rj where rj.profile_id = p.id and rj.resource_id = r.id)
  and not exists (select 1 from live_placement pl where pl.profile_id = p.id and pl.resource_id = r.id)
order by r.id;

-- name: registry_texts_fingerprint
-- A fingerprint of every listing's text: the lexical index depends on it alone, not on capacities.
select md5(coalesce(string_agg(id || chr(31) || name || chr(31) || description, chr(30) order by id), ''))
from resource;

-- name: unreject
-- Puts a turned-down listing back among a profile's proposals; returns the reason it was turned down.
delete from rejection where profile_id = %(profile_id)s and resource_id = %(resource_id)s returning reason;
