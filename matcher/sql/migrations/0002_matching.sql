-- Matching: weekly time slots as multiranges, great-circle distance, embeddings, rejections,
-- and one function holding every hard constraint of domain.md §6.

-- The minutes of a week (Monday 00:00 = bit 0) a list of {day, start, end} slots covers, as a
-- 10080-bit string: two schedules' shared minutes are then bit_count(a & b), cheap for every listing.
create function week_minutes(slots jsonb) returns bit(10080)
language sql immutable parallel safe as $$
    select coalesce(bit_or((repeat('0', m.start_at) || repeat('1', m.end_at - m.start_at)
                            || repeat('0', 10080 - m.end_at))::bit(10080)),
                    repeat('0', 10080)::bit(10080))
    from jsonb_array_elements(slots) as s
    cross join lateral (
        select (array_position(array['mon','tue','wed','thu','fri','sat','sun'], s->>'day') - 1) * 1440 as base
    ) d
    cross join lateral (
        select d.base + split_part(s->>'start', ':', 1)::int * 60 + split_part(s->>'start', ':', 2)::int as start_at,
               d.base + split_part(s->>'end', ':', 1)::int * 60 + split_part(s->>'end', ':', 2)::int as end_at
    ) m
$$;

-- Minutes two weeks of slots share.
create function overlap_minutes(a bit(10080), b bit(10080)) returns integer
language sql immutable strict parallel safe as $$
    select bit_count(a & b)::integer
$$;

-- The haversine term of two points (null when either is unknown).
create function haversine(lat1 float8, lon1 float8, lat2 float8, lon2 float8) returns float8
language sql immutable parallel safe as $$
    select power(sin(radians(lat2 - lat1) / 2), 2)
           + cos(radians(lat1)) * cos(radians(lat2)) * power(sin(radians(lon2 - lon1) / 2), 2)
$$;

-- Great-circle distance in km (haversine, clamped against rounding); null when either point is
-- unknown. A single expression, not strict, so that the planner inlines it into queries.
create function great_circle_km(lat1 float8, lon1 float8, lat2 float8, lon2 float8) returns float8
language sql immutable parallel safe as $$
    select 2 * 6371.0088 * asin(sqrt(haversine(lat1, lon1, lat2, lon2)
                                     - greatest(haversine(lat1, lon1, lat2, lon2) - 1, 0)))
$$;

alter table resource add column week_minutes bit(10080) generated always as (week_minutes(schedule)) stored;
alter table needs_profile add column week_minutes bit(10080) generated always as (week_minutes(availability)) stored;

-- Every hard constraint a listing fails for a profile (reason codes of interfaces.md), in a fixed order.
create function exclusion_codes(r resource, p needs_profile, eligible text[], min_overlap integer)
returns text[] language sql stable parallel safe as $$
    select array_remove(array[
        case when r.status <> 'active' then 'inactive' end,
        case when r.capacity_open = 0 then 'no_capacity' end,
        case when r.schedule <> '[]' and overlap_minutes(r.week_minutes, p.week_minutes) < min_overlap
             then 'schedule' end,
        case when great_circle_km(r.lat, r.lon, p.lat, p.lon) > p.max_travel_km then 'distance' end,
        case when r.min_age > split_part(p.age_band, '-', 1)::int
               or r.max_age < split_part(p.age_band, '-', 2)::int then 'age' end,
        case when r.contact_level > p.contact_tolerance then 'contact' end,
        case when r.physical_load > p.physical_capacity then 'physical' end,
        case when not r.accommodations @> p.needs_accommodations then 'accommodation' end,
        case when r.programme is not null and r.programme <> all(eligible) and not r.hosts_participation
             then 'eligibility' end
    ], null)
$$;

-- True when a listing passes every hard constraint. Cheap necessary conditions come first (each is
-- implied by an empty exclusion_codes), so most listings are ruled out before the costly checks.
create function is_feasible(r resource, p needs_profile, eligible text[], min_overlap integer)
returns boolean language sql stable parallel safe as $$
    select r.status = 'active'
       and r.contact_level <= p.contact_tolerance
       and r.physical_load <= p.physical_capacity
       and (r.lat is null or abs(r.lat - p.lat) * 110.5 <= p.max_travel_km)
       and exclusion_codes(r, p, eligible, min_overlap) = '{}'
$$;

-- Sentence embeddings; `model` and `text_hash` say what made each vector, so only changed texts
-- are embedded again. The column has no fixed dimension: an HNSW index per dimension in use is
-- created by the application (an expression index on embedding::vector(N)).
create table resource_embedding (
    resource_id text primary key references resource (id) on delete cascade,
    model       text not null,
    text_hash   text not null,
    embedding   vector not null,
    embedded_at timestamptz not null default now()
);

create table profile_embedding (
    profile_id  text primary key references needs_profile (id) on delete cascade,
    model       text not null,
    text_hash   text not null,
    embedding   vector not null,
    embedded_at timestamptz not null default now()
);

-- A number that changes whenever any listing changes (from a sequence, so it never repeats even
-- after a rollback): in-memory indexes of the registry are keyed by it.
create sequence registry_version_seq;
create table registry_version (
    only_row boolean primary key default true check (only_row),
    version  bigint not null
);
insert into registry_version (version) values (nextval('registry_version_seq'));

create function bump_registry_version() returns trigger language plpgsql as $$
begin
    update registry_version set version = nextval('registry_version_seq');
    return null;
end
$$;

create trigger resource_changed after insert or update or delete or truncate on resource
for each statement execute function bump_registry_version();

-- A proposal a coordinator turned down, and why; it is not proposed again to that profile.
create table rejection (
    profile_id  text not null references needs_profile (id) on delete cascade,
    resource_id text not null references resource (id) on delete cascade,
    reason      text not null check (reason <> ''),
    rejected_by text,
    rejected_at timestamptz not null default now(),
    primary key (profile_id, resource_id)
);
