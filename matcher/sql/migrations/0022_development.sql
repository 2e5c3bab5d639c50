-- 社会資源の開拓 (domain.md §1 rule 5, §8): a pipeline of 開拓候補 (places approached to become hosts),
-- each moved 候補 → 打診中 → 受入準備 → 登録済 (or 見送り with a reason), with dated notes; a registered
-- candidate names the listing it became. And support given to hosts (定着支援, domain.md §1 rule 4):
-- a dated log per listing of visits, 応援金, 送迎, 同行 and 研修. Free texts passed the PII guard.
create table development_candidate (
    id            bigint generated always as identity primary key,
    name          text not null check (name <> '' and length(name) <= 200),
    kind          text not null check (kind in (
        'cafe', 'farm', 'shop', 'workplace_b', 'workplace_a', 'transition', 'life_training',
        'employment_prep', 'activity_center', 'volunteer_center', 'care_prevention', 'silver',
        'youth_support', 'shelter', 'library', 'other')),
    area          text not null check (area <> '' and length(area) <= 100),
    need          text not null check (need <> '' and length(need) <= 2000),
    -- the gap-report group it came from (week and group number; no foreign key, since a week's report
    -- is replaced when the batch runs again), with the group's name as it was then
    gap_week      text check (gap_week ~ '^\d{4}-W\d{2}$'),
    gap_cluster   integer check (gap_cluster > 0),
    gap_label     text check (length(gap_label) <= 500),
    stage         text not null default 'candidate'
                  check (stage in ('candidate', 'approached', 'preparing', 'registered', 'dropped')),
    drop_reason   text check (drop_reason <> '' and length(drop_reason) <= 1000),
    resource_id   text unique references resource (id),
    created_by    text not null check (created_by <> ''),
    created_at    timestamptz not null default now(),
    stage_by      text not null check (stage_by <> ''),
    stage_at      timestamptz not null default now(),
    check ((stage = 'dropped') = (drop_reason is not null)),
    check ((stage = 'registered') = (resource_id is not null)),
    check ((gap_week is null) = (gap_cluster is null)),
    check (gap_label is null or gap_week is not null)
);
create index development_candidate_stage_idx on development_candidate (stage, area);

create table development_note (
    id            bigint generated always as identity primary key,
    candidate_id  bigint not null references development_candidate (id) on delete cascade,
    written_on    date not null check (written_on >= date '2000-01-01'),
    author        text not null check (author <> ''),
    body          text not null check (body <> '' and length(body) <= 4000),
    created_at    timestamptz not null default now(),
    -- may be back-dated, never in the future (the domain checks against today; UTC+14 at most here)
    check (written_on <= (created_at at time zone 'UTC')::date + 1)
);
create index development_note_candidate_idx on development_note (candidate_id, written_on desc, id desc);

create table host_support (
    id            bigint generated always as identity primary key,
    resource_id   text not null references resource (id) on delete cascade,
    given_on      date not null check (given_on >= date '2000-01-01'),
    kind          text not null check (kind in ('visit', 'grant', 'transport', 'accompany', 'training')),
    amount_yen    integer check (amount_yen > 0 and amount_yen <= 100000000),
    note          text not null default '' check (length(note) <= 2000),
    author        text not null check (author <> ''),
    created_at    timestamptz not null default now(),
    check (amount_yen is null or kind = 'grant'),  -- an amount belongs to 応援金 only
    check (given_on <= (created_at at time zone 'UTC')::date + 1)
);
create index host_support_resource_idx on host_support (resource_id, given_on desc, id desc);
