-- Caseloads: each needs profile's responsible coordinator (担当, nullable), and its dated 支援経過記録
-- (case notes: free text that passed the PII guard, read by coordinators only; added, never edited).
alter table needs_profile
    add column coordinator_id bigint references app_user (id) on delete set null;
create index needs_profile_coordinator_idx on needs_profile (coordinator_id);

create table case_note (
    id          bigint generated always as identity primary key,
    profile_id  text not null references needs_profile (id) on delete cascade,
    written_on  date not null check (written_on >= date '2000-01-01'),
    author      text not null check (author <> ''),
    body        text not null check (body <> '' and length(body) <= 4000),
    created_at  timestamptz not null default now(),
    -- may be back-dated, never in the future (the domain checks against today; this allows for any
    -- time zone, UTC+14 at most)
    check (written_on <= (created_at at time zone 'UTC')::date + 1)
);
create index case_note_profile_idx on case_note (profile_id, written_on desc, id desc);
