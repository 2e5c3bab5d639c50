-- 支援会議 and 重層的支援会議 (domain.md §9): a fifth role, `member`, who sees only the cases on the agenda
-- of an open meeting they belong to and whose 守秘義務 they acknowledged; minutes per case; and the
-- support plan (プラン) a 重層的支援会議 agrees.
alter table app_user drop constraint app_user_role_check;
alter table app_user add constraint app_user_role_check
    check (role in ('coordinator', 'provider', 'admin', 'member'));

create table meeting (
    id          bigint generated always as identity primary key,
    kind        text not null check (kind in ('shien_kaigi', 'jusoteki_kaigi')),
    held_on     date not null check (held_on >= date '2000-01-01'),
    title       text not null check (title <> '' and length(title) <= 200),
    created_by  text not null,
    created_at  timestamptz not null default now()
);
create index meeting_held_idx on meeting (held_on desc, id desc);

create table meeting_member (
    meeting_id      bigint not null references meeting (id) on delete cascade,
    user_id         bigint not null references app_user (id) on delete cascade,
    added_by        text not null,
    added_at        timestamptz not null default now(),
    acknowledged_at timestamptz,  -- 守秘義務の確認, per meeting; nothing is shown before it
    primary key (meeting_id, user_id)
);
create index meeting_member_user_idx on meeting_member (user_id);

create table meeting_case (
    meeting_id  bigint not null references meeting (id) on delete cascade,
    profile_id  text not null references needs_profile (id) on delete cascade,
    added_by    text not null,
    added_at    timestamptz not null default now(),
    primary key (meeting_id, profile_id)
);
create index meeting_case_profile_idx on meeting_case (profile_id);

-- 会議録, per case: what was shared, who does what, the next review (free text passed the PII guard).
create table meeting_minute (
    id              bigint generated always as identity primary key,
    meeting_id      bigint not null,
    profile_id      text not null,
    shared          text not null default '' check (length(shared) <= 4000),
    actions         text not null default '' check (length(actions) <= 4000),
    next_review_on  date,
    written_by      text not null,
    written_at      timestamptz not null default now(),
    foreign key (meeting_id, profile_id) references meeting_case (meeting_id, profile_id) on delete cascade,
    check (shared <> '' or actions <> '')
);
create index meeting_minute_case_idx on meeting_minute (meeting_id, profile_id, id);

-- プラン (the national プランシート): goals and the 参加支援 to give, agreed at a 重層的支援会議; reviewed,
-- evaluated (評価) and closed (終結) with a reason.
create table support_plan (
    id              bigint generated always as identity primary key,
    profile_id      text not null references needs_profile (id) on delete cascade,
    meeting_id      bigint references meeting (id) on delete set null,
    goals           text not null check (goals <> '' and length(goals) <= 4000),
    support         text not null default '' check (length(support) <= 4000),
    review_on       date not null,
    evaluation      text not null default '' check (length(evaluation) <= 4000),
    evaluated_on    date,
    closed_on       date,
    close_reason    text check (length(close_reason) <= 1000),
    created_by      text not null,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    check ((closed_on is null) = (close_reason is null))
);
create index support_plan_profile_idx on support_plan (profile_id, id desc);
create index support_plan_review_idx on support_plan (review_on) where closed_on is null;

create table support_plan_placement (
    plan_id       bigint not null references support_plan (id) on delete cascade,
    placement_id  bigint not null references placement (id) on delete cascade,
    primary key (plan_id, placement_id)
);
