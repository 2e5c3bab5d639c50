-- name: lock_capacity
-- The listing's open places, its row locked until the transaction ends.
select capacity_open, capacity_total from resource where id = %(resource_id)s for update;

-- name: take_place
-- Takes one open place of a listing.
update resource set capacity_open = capacity_open - 1, updated_at = now()
where id = %(resource_id)s and capacity_open > 0
returning capacity_open;

-- name: free_place
-- Gives one place back to a listing (never above its 定員).
update resource
set capacity_open = case when capacity_total is null then capacity_open + 1
                         else least(capacity_open + 1, capacity_total) end,
    updated_at = now()
where id = %(resource_id)s and capacity_open is not null
returning capacity_open;

-- name: insert
-- Records a confirmed proposal and returns its id.
insert into placement (profile_id, resource_id, tier, score, gap_reason, host_note, reserved, confirmed_by, features)
values (%(profile_id)s, %(resource_id)s, %(tier)s, %(score)s, %(gap_reason)s, %(host_note)s, %(reserved)s,
        %(confirmed_by)s, %(features)s)
returning id;

-- name: get
-- One placement with its listing's name.
select * from placement_detail where id = %(id)s;

-- name: resource_of
-- The listing a placement is for.
select resource_id from placement where id = %(id)s;

-- name: get_for_update
-- One placement, its row locked until the transaction ends.
select id from placement where id = %(id)s for update;

-- name: for_profile
-- A profile's placements, newest first, with their listings' names.
select * from placement_detail where profile_id = %(profile_id)s order by confirmed_at desc, id desc;

-- name: set_status
-- Moves a placement to a new status, stamping when (%(at)s: an earlier moment it happened; null: now).
update placement set
    status = %(status)s,
    referred_at = case when %(status)s = 'referred' then coalesce(%(at)s, now()) else referred_at end,
    answer_due = case when %(status)s = 'referred'
                      then coalesce(%(at)s, now())::date + %(answer_days)s::int else answer_due end,
    override_reason = coalesce(%(override_reason)s, override_reason),
    dated_reason = coalesce(%(dated_reason)s, dated_reason),
    wellbeing_start = coalesce(%(wellbeing)s, wellbeing_start),
    trial_at = case when %(status)s = 'trial' then coalesce(%(at)s, now()) else trial_at end,
    started_at = case when %(status)s = 'active' then coalesce(%(at)s, now()) else started_at end,
    ended_at = case when %(status)s in ('ended', 'cancelled') then coalesce(%(at)s, now()) else ended_at end,
    end_reason = %(end_reason)s,
    end_note = %(end_note)s,
    host_note = coalesce(%(host_note)s, host_note),
    reserved = case when %(status)s in ('ended', 'cancelled') then false else reserved end,
    updated_at = now()
where id = %(id)s;

-- name: plan_trial
-- Records the day the 見学・体験 is planned for (null: no plan).
update placement set trial_planned_on = %(on)s, updated_at = now() where id = %(id)s;

-- name: set_profile_status
-- Sets a profile's support status.
update needs_profile set status = %(status)s, updated_at = now() where id = %(id)s;

-- name: live_count
-- How many of a profile's placements are in use (利用中).
select count(*) from placement where profile_id = %(profile_id)s and status = 'active';

-- name: insert_followup
-- Records a 1/3/6-month follow-up (one per month per placement).
insert into followup (placement_id, month, still_participating, frequency, rating, note, recorded_by, wellbeing)
values (%(placement_id)s, %(month)s, %(still_participating)s, %(frequency)s, %(rating)s, %(note)s,
        %(recorded_by)s, %(wellbeing)s)
on conflict (placement_id, month) do nothing
returning id;

-- name: followups
-- The follow-ups of a profile's placements.
select f.placement_id, f.month, f.still_participating, f.frequency, f.rating, f.note, f.recorded_by,
       f.recorded_at, f.wellbeing
from followup f join placement pl on pl.id = f.placement_id
where pl.profile_id = %(profile_id)s
order by f.placement_id, f.month;

-- name: host_respond
-- Records a host's answer to a referral to one of its listings.
update placement
set host_response = %(response)s, host_response_reason = %(reason)s, host_responded_at = now(),
    host_responded_by = %(actor)s, updated_at = now()
where id = %(id)s;

-- name: needing_attention
-- Live placements a coordinator should act on: a host's answer past its due date, a host's acceptance
-- not yet followed by a step, or no step for longer than the state's limit; and declines of the last
-- %(recent_days)s days. Oldest first.
select d.*,
       case when d.status = 'ended' then 'declined'
            when d.status = 'referred' and d.host_response is null and d.answer_due < current_date
                then 'overdue'
            when d.status = 'referred' and d.host_response = 'accepted' then 'accepted'
            else 'stalled' end as kind
from placement_detail d
where (d.status = 'ended' and d.end_reason = 'host_declined'
           and d.ended_at > now() - make_interval(days => %(recent_days)s))
   or (d.status = 'referred' and d.host_response is null and d.answer_due < current_date)
   or (d.status = 'referred' and d.host_response = 'accepted')
   or (d.status in ('confirmed', 'referred', 'trial')
       and d.last_step_at < now() - make_interval(days => coalesce((%(stall_days)s::jsonb ->> d.status)::int, 36500)))
order by d.last_step_at, d.id;

