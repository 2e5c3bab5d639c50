-- The resource registry (domain.md §3) and anonymised needs profiles (§4).
create extension if not exists vector;

create table resource (
    id                  text primary key,
    name                text not null check (name <> ''),
    kind                text not null check (kind in (
        'cafe', 'farm', 'shop', 'workplace_b', 'workplace_a', 'transition', 'life_training',
        'employment_prep', 'activity_center', 'volunteer_center', 'care_prevention', 'silver',
        'youth_support', 'shelter', 'library', 'other')),
    programme           text check (programme in (
        'shuro_b', 'shuro_a', 'shuro_iko', 'seikatsu_kunren', 'shuro_junbi', 'ichiji_seikatsu',
        'chiiki_katsudo', 'kaigo_yobo', 'silver', 'saposute', 'volunteer')),
    hosts_participation boolean not null default false,
    description         text not null default '',
    area                text not null,
    lat                 double precision check (lat between -90 and 90),
    lon                 double precision check (lon between -180 and 180),
    schedule            jsonb not null default '[]',
    capacity_total      integer check (capacity_total >= 0),
    capacity_open       integer check (capacity_open >= 0),
    contact_level       smallint not null check (contact_level between 1 and 3),
    physical_load       smallint not null check (physical_load between 1 and 3),
    reward              text not null check (reward in ('paid', 'stipend', 'none')),
    trial               boolean not null default false,
    min_age             integer check (min_age between 0 and 120),
    max_age             integer check (max_age between 0 and 120),
    accommodations      text[] not null default '{}',
    status              text not null default 'active' check (status in ('active', 'paused', 'closed')),
    assured_at          date,
    source              text not null default 'registry',
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    check (capacity_open is null or capacity_total is null or capacity_open <= capacity_total),
    check ((lat is null) = (lon is null))
);

create index resource_kind_idx on resource (kind);
create index resource_status_idx on resource (status);

create table needs_profile (
    id                   text primary key,
    age_band             text not null check (age_band ~ '^\d{1,3}-\d{1,3}$'),
    area                 text not null,
    lat                  double precision not null check (lat between -90 and 90),
    lon                  double precision not null check (lon between -180 and 180),
    max_travel_km        double precision not null check (max_travel_km > 0),
    availability         jsonb not null default '[]',
    contact_tolerance    smallint not null check (contact_tolerance between 1 and 3),
    physical_capacity    smallint not null check (physical_capacity between 1 and 3),
    reward_preference    text not null default 'any' check (reward_preference in ('paid', 'stipend', 'none', 'any')),
    needs_accommodations text[] not null default '{}',
    interests            text not null default '',
    narrative            text not null default '',
    stage                smallint not null check (stage between 1 and 6),
    facts                text[] not null default '{}',
    consent              text not null default 'none' check (consent in ('full', 'meeting_only', 'none')),
    status               text not null default 'open' check (status in ('open', 'placed', 'closed')),
    created_at           timestamptz not null default now(),
    updated_at           timestamptz not null default now()
);

create index needs_profile_status_idx on needs_profile (status);
