-- The weekly batch: staged candidates (resumable), published proposals (one transaction per week),
-- learned scoring models, and the gap report.

-- What each proposal's fit was made of, kept with the decision so that the weights can be learned.
alter table placement add column features jsonb;
alter table rejection add column features jsonb;

create table batch_run (
    week        text primary key check (week ~ '^\d{4}-W\d{2}$'),
    status      text not null check (status in ('running', 'done')),
    started_at  timestamptz not null default now(),
    finished_at timestamptz,
    model_version integer,
    published_at  timestamptz,
    stats       jsonb not null default '{}',
    notes       jsonb not null default '[]'
);

-- Scored feasible candidates per profile, written profile by profile (a killed run resumes here).
create table batch_candidate (
    week        text not null references batch_run (week) on delete cascade,
    profile_id  text not null,
    resource_id text not null,
    tier        smallint not null,
    score       double precision not null,
    primary key (week, profile_id, resource_id)
);

-- Profiles whose candidates are complete for the week (including those with none).
create table batch_profile_done (
    week       text not null references batch_run (week) on delete cascade,
    profile_id text not null,
    failed_codes jsonb not null default '{}',
    saturated  boolean not null default false,  -- more feasible listings than the batch scores per tier
    primary key (week, profile_id)
);

-- The capacity-aware assignment, published whole when the week is done.
create table batch_proposal (
    week        text not null references batch_run (week) on delete cascade,
    profile_id  text not null,
    resource_id text not null,
    tier        smallint not null,
    score       double precision not null,
    rank        smallint not null,
    primary key (week, profile_id, resource_id)
);

create table batch_unassigned (
    week       text not null references batch_run (week) on delete cascade,
    profile_id text not null,
    reason     text not null,
    primary key (week, profile_id)
);

create table scoring_model (
    version       integer primary key,
    created_at    timestamptz not null default now(),
    weights       jsonb not null,
    metrics       jsonb not null,
    training_size integer not null,
    adopted       boolean not null,
    note          text not null default ''
);

create table gap_cluster (
    week           text not null references batch_run (week) on delete cascade,
    cluster        integer not null,
    area           text not null,
    size           integer not null,
    label          text not null,
    top_constraint text,
    constraint_share double precision,
    profile_ids    text[] not null,
    primary key (week, cluster)
);
