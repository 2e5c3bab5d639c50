-- Imports and weekly batches started from the admin console, with their progress: kept in the
-- database so that every server process (uvicorn workers) shows the same progress and history.
create table background_job (
    id          text primary key,
    kind        text not null,
    filename    text not null default '',
    actor       text not null,
    phase       text not null,
    total       integer not null default 0,
    done        integer not null default 0,
    lines       jsonb not null default '[]',
    errors      jsonb not null default '[]',
    message     text not null default '',
    week        text,
    started_at  timestamptz not null default now(),
    finished_at timestamptz,
    updated_at  timestamptz not null default now()
);

create index background_job_started_idx on background_job (kind, started_at desc);
