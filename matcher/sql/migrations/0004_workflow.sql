-- The coordinator's workflow: consent date, placements and their lifecycle (domain.md §7),
-- follow-ups, browser sessions, and the append-only audit log.

alter table needs_profile add column consent_date date;

-- The municipality's 圏域 / 地区 and their centroids: a profile's location is its area's centroid.
create table area (
    name text primary key check (name <> ''),
    lat  double precision not null check (lat between -90 and 90),
    lon  double precision not null check (lon between -180 and 180)
);

create table placement (
    id           bigint generated always as identity primary key,
    profile_id   text not null references needs_profile (id),
    resource_id  text not null references resource (id),
    status       text not null default 'confirmed'
                 check (status in ('confirmed', 'referred', 'trial', 'active', 'ended', 'cancelled')),
    tier         smallint not null check (tier in (1, 2)),
    score        double precision,
    gap_reason   text,
    host_note    text not null default '',
    reserved     boolean not null default false,   -- holds one of the listing's open places
    end_reason   text check (end_reason in ('stepped_up', 'completed', 'dropped_out', 'host_ended', 'other')),
    end_note     text,
    confirmed_by text,
    confirmed_at timestamptz not null default now(),
    referred_at  timestamptz,
    trial_at     timestamptz,
    started_at   timestamptz,
    ended_at     timestamptz,
    updated_at   timestamptz not null default now(),
    check ((status = 'ended') = (end_reason is not null))
);

-- One live placement per person and place.
create unique index placement_live_idx on placement (profile_id, resource_id)
    where status not in ('ended', 'cancelled');
create index placement_resource_idx on placement (resource_id, status);

create table followup (
    id                 bigint generated always as identity primary key,
    placement_id       bigint not null references placement (id),
    month              smallint not null check (month in (1, 3, 6)),
    still_participating boolean not null,
    frequency          text not null default '',
    rating             smallint check (rating between 1 and 5),
    note               text not null default '',
    recorded_by        text,
    recorded_at        timestamptz not null default now(),
    unique (placement_id, month)
);

create table web_session (
    token_hash  text primary key,
    user_id     bigint not null references app_user (id) on delete cascade,
    csrf_token  text not null,
    created_at  timestamptz not null default now(),
    expires_at  timestamptz not null
);

create table audit_log (
    id        bigint generated always as identity primary key,
    at        timestamptz not null default clock_timestamp(),
    actor     text not null,
    action    text not null,
    entity    text not null,
    entity_id text not null,
    before    jsonb,
    after     jsonb
);
create index audit_log_entity_idx on audit_log (entity, entity_id);
create index audit_log_at_idx on audit_log (at);

-- Append-only, enforced in the database for every role the application connects as.
create function audit_log_is_append_only() returns trigger language plpgsql as $$
begin
    raise exception '監査ログは追記のみです（%は禁止）', tg_op using errcode = 'insufficient_privilege';
end
$$;

create trigger audit_log_append_only before update or delete or truncate on audit_log
for each statement execute function audit_log_is_append_only();

revoke update, delete, truncate on audit_log from public;
