-- name: create
-- A new plan.
insert into support_plan (profile_id, meeting_id, goals, support, review_on, created_by)
values (%(profile_id)s, %(meeting_id)s, %(goals)s, %(support)s, %(review_on)s, %(created_by)s)
returning id;

-- name: link_placement
-- Ties one of the person's placements to the plan (the 参加支援 it gives).
insert into support_plan_placement (plan_id, placement_id) values (%(plan_id)s, %(placement_id)s)
on conflict do nothing;

-- name: get
-- One plan, with the meeting that agreed it.
select sp.id, sp.profile_id, sp.meeting_id, m.title as meeting_title, m.held_on as meeting_held_on,
       sp.goals, sp.support, sp.review_on, sp.evaluation, sp.evaluated_on, sp.closed_on, sp.close_reason,
       sp.created_by, sp.created_at
from support_plan sp left join meeting m on m.id = sp.meeting_id
where sp.id = %(id)s;

-- name: of_profile
-- A profile's plans, newest first.
select sp.id, sp.profile_id, sp.meeting_id, m.title as meeting_title, m.held_on as meeting_held_on,
       sp.goals, sp.support, sp.review_on, sp.evaluation, sp.evaluated_on, sp.closed_on, sp.close_reason,
       sp.created_by, sp.created_at
from support_plan sp left join meeting m on m.id = sp.meeting_id
where sp.profile_id = %(profile_id)s
order by sp.id desc;

-- name: placements
-- The placements a plan gives, with the listing's name and the placement's state.
select pl.id, pl.resource_id, r.name as resource_name, pl.status
from support_plan_placement spp
join placement pl on pl.id = spp.placement_id
join resource r on r.id = pl.resource_id
where spp.plan_id = %(plan_id)s
order by pl.id;

-- name: placement_choices
-- The person's placements that may be tied to a plan (not cancelled).
select pl.id, pl.resource_id, r.name as resource_name, pl.status
from placement pl join resource r on r.id = pl.resource_id
where pl.profile_id = %(profile_id)s and pl.status <> 'cancelled'
order by pl.id desc;

-- name: agreeing_meetings
-- The 重層的支援会議 whose agenda had this profile: the meetings that may agree its plan.
select m.id, m.title, m.held_on
from meeting m join meeting_case mc on mc.meeting_id = m.id
where mc.profile_id = %(profile_id)s and m.kind = 'jusoteki_kaigi'
order by m.held_on desc, m.id desc;

-- name: evaluate
-- Records an evaluation (評価) and the next review date of an open plan.
update support_plan
set evaluation = %(evaluation)s, evaluated_on = %(evaluated_on)s, review_on = %(review_on)s, updated_at = now()
where id = %(id)s and closed_on is null
returning id;

-- name: close
-- Closes (終結) an open plan with a reason.
update support_plan
set closed_on = %(closed_on)s, close_reason = %(close_reason)s, updated_at = now()
where id = %(id)s and closed_on is null
returning id;

-- name: due
-- Open plans whose review date falls on or before a day, soonest first (the dashboard's list).
select sp.id, sp.profile_id, sp.review_on, sp.goals
from support_plan sp
where sp.closed_on is null and sp.review_on <= %(until)s
order by sp.review_on, sp.id
limit %(limit)s;

-- name: consent_for_update
-- A profile's consent, locked until the plan is written (no row: no such profile).
select consent from needs_profile where id = %(profile_id)s for update;
