-- Dates that mean something: a step may be recorded on an earlier day (never a later one) with the
-- reason; a planned 見学 date; and the person's own つながり rating at the start and at each follow-up,
-- so that outcomes can be compared before and after.
alter table placement
    add column trial_planned_on date,
    add column dated_reason text,
    add column wellbeing_start smallint check (wellbeing_start between 1 and 5);
alter table followup add column wellbeing smallint check (wellbeing between 1 and 5);

create or replace view placement_detail as
select pl.id, pl.profile_id, pl.resource_id, r.name as resource_name, pl.status, pl.tier, pl.score,
       pl.gap_reason, pl.host_note, pl.reserved, pl.end_reason, pl.end_note, pl.confirmed_by,
       pl.confirmed_at, pl.referred_at, pl.trial_at, pl.started_at, pl.ended_at,
       pl.host_response, pl.host_response_reason, pl.host_responded_at,
       pl.answer_due, pl.override_reason, pl.reminded_on,
       greatest(pl.confirmed_at, pl.referred_at, pl.trial_at, pl.started_at, pl.host_responded_at)
           as last_step_at,
       pl.trial_planned_on, pl.dated_reason, pl.wellbeing_start
from placement pl join resource r on r.id = pl.resource_id;
