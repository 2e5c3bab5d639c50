-- The closed loop with hosts (domain.md §7): a referral waits for the host's answer until a due date;
-- a decline ends the placement (受け入れ先辞退) and frees the place; going ahead without an answer
-- needs a recorded reason; reminders are sent at most once a day.
alter table placement
    add column answer_due date,
    add column override_reason text,
    add column reminded_on date;

alter table placement drop constraint placement_end_reason_check;
alter table placement add constraint placement_end_reason_check check (
    end_reason in ('stepped_up', 'completed', 'dropped_out', 'host_ended', 'host_declined', 'other'));

-- Referrals already waiting get the default week from when they were sent.
update placement set answer_due = (referred_at + interval '7 days')::date
where status = 'referred' and host_response is null and referred_at is not null;

-- A placement as the workflow shows it (placements.model.Placement): the one column list its queries read.
create view placement_detail as
select pl.id, pl.profile_id, pl.resource_id, r.name as resource_name, pl.status, pl.tier, pl.score,
       pl.gap_reason, pl.host_note, pl.reserved, pl.end_reason, pl.end_note, pl.confirmed_by,
       pl.confirmed_at, pl.referred_at, pl.trial_at, pl.started_at, pl.ended_at,
       pl.host_response, pl.host_response_reason, pl.host_responded_at,
       pl.answer_due, pl.override_reason, pl.reminded_on,
       greatest(pl.confirmed_at, pl.referred_at, pl.trial_at, pl.started_at, pl.host_responded_at)
           as last_step_at
from placement pl join resource r on r.id = pl.resource_id;
