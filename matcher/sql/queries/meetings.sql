-- name: create
-- A new meeting.
insert into meeting (kind, held_on, title, created_by)
values (%(kind)s, %(held_on)s, %(title)s, %(created_by)s)
returning id, kind, held_on, title, created_by, created_at;

-- name: get
-- One meeting.
select id, kind, held_on, title, created_by, created_at from meeting where id = %(id)s;

-- name: recent
-- Meetings, newest date first, with how many members and cases each has.
select m.id, m.kind, m.held_on, m.title, m.created_by, m.created_at,
       (select count(*) from meeting_member mm where mm.meeting_id = m.id) as members,
       (select count(*) from meeting_case mc where mc.meeting_id = m.id) as cases
from meeting m
order by m.held_on desc, m.id desc
limit %(limit)s;

-- name: of_member
-- The meetings one member account belongs to, newest date first, with their acknowledgement.
select m.id, m.kind, m.held_on, m.title, m.created_by, m.created_at, mm.acknowledged_at
from meeting m join meeting_member mm on mm.meeting_id = m.id
where mm.user_id = %(user_id)s
order by m.held_on desc, m.id desc;

-- name: membership
-- One account's membership of one meeting (no row: not a member).
select acknowledged_at from meeting_member where meeting_id = %(meeting_id)s and user_id = %(user_id)s;

-- name: account
-- An enabled account by name, for adding it to a meeting.
select id, name, role from app_user where name = %(name)s and not disabled;

-- name: add_member
-- Adds a member (again: nothing changes).
insert into meeting_member (meeting_id, user_id, added_by)
values (%(meeting_id)s, %(user_id)s, %(added_by)s)
on conflict do nothing
returning user_id;

-- name: members
-- A meeting's members with whether each has acknowledged 守秘義務.
select u.id, u.name, mm.acknowledged_at
from meeting_member mm join app_user u on u.id = mm.user_id
where mm.meeting_id = %(meeting_id)s
order by u.name;

-- name: member_choices
-- Enabled member accounts not yet in the meeting.
select u.name from app_user u
where u.role = 'member' and not u.disabled
  and not exists (select 1 from meeting_member mm where mm.meeting_id = %(meeting_id)s and mm.user_id = u.id)
order by u.name;

-- name: acknowledge
-- Records a member's 守秘義務の確認 (the first time counts).
update meeting_member set acknowledged_at = coalesce(acknowledged_at, now())
where meeting_id = %(meeting_id)s and user_id = %(user_id)s
returning acknowledged_at;

-- name: profile_consent
-- A profile's consent now (no row: no such profile).
select consent from needs_profile where id = %(profile_id)s;

-- name: add_case
-- Puts a profile on the agenda (again: nothing changes).
insert into meeting_case (meeting_id, profile_id, added_by)
values (%(meeting_id)s, %(profile_id)s, %(added_by)s)
on conflict do nothing
returning profile_id;

-- name: cases
-- The agenda: each profile with its consent now and its area and age band (for lists).
select mc.profile_id, p.consent, p.age_band, p.area, p.stage, p.status, mc.added_at
from meeting_case mc join needs_profile p on p.id = mc.profile_id
where mc.meeting_id = %(meeting_id)s
order by mc.added_at, mc.profile_id;

-- name: on_agenda
-- Whether a profile is on a meeting's agenda.
select exists (select 1 from meeting_case where meeting_id = %(meeting_id)s and profile_id = %(profile_id)s);

-- name: add_minute
-- One 会議録 entry for a case.
insert into meeting_minute (meeting_id, profile_id, shared, actions, next_review_on, written_by)
values (%(meeting_id)s, %(profile_id)s, %(shared)s, %(actions)s, %(next_review_on)s, %(written_by)s)
returning id, meeting_id, profile_id, shared, actions, next_review_on, written_by, written_at;

-- name: minutes
-- A meeting's 会議録, per case in the order written.
select id, meeting_id, profile_id, shared, actions, next_review_on, written_by, written_at
from meeting_minute where meeting_id = %(meeting_id)s
order by profile_id, id;
