-- name: for_host
-- Referrals to the given listings with only the fields a host may see (domain.md §7), and nothing of
-- the person once consent is withdrawn (withdrawn = true, every personal field null).
select pl.id as placement_id, pl.resource_id, r.name as resource_name, pl.status, pl.referred_at,
       pl.answer_due, pl.trial_planned_on, pl.confirmed_by as coordinator, u.email as coordinator_email,
       p.consent <> 'full' as withdrawn,
       case when p.consent = 'full' then p.age_band end as age_band,
       case when p.consent = 'full' then p.availability else '[]'::jsonb end as availability,
       case when p.consent = 'full' then p.needs_accommodations else '{}'::text[] end as needs_accommodations,
       case when p.consent = 'full' then p.stage end as stage,
       case when p.consent = 'full' then pl.host_note else '' end as host_note,
       pl.host_response, pl.host_response_reason, pl.host_responded_at
from placement pl
join resource r on r.id = pl.resource_id
join needs_profile p on p.id = pl.profile_id
left join app_user u on u.name = pl.confirmed_by and not u.disabled
where pl.resource_id = any(%(resource_ids)s)
  and pl.status in ('referred', 'trial', 'active')
order by pl.referred_at desc nulls last, pl.id desc;

-- name: referral_of
-- A referral's listing, status, answer and whether the person's consent still stands, row locked.
select pl.resource_id, pl.status, pl.host_response, p.consent = 'full' as consented
from placement pl join needs_profile p on p.id = pl.profile_id
where pl.id = %(id)s
for update of pl;

-- name: decline
-- A host's decline ends the placement (受け入れ先の辞退) with its reason as the end note.
update placement
set status = 'ended', ended_at = now(), end_reason = 'host_declined', end_note = %(reason)s,
    reserved = false, updated_at = now()
where id = %(id)s;

-- name: live_referrals_of_profile
-- A profile's placements a host has been told of and that are still live.
select id, resource_id, resource_name from placement_detail
where profile_id = %(profile_id)s and status in ('referred', 'trial', 'active')
order by id;

-- name: coordinator_contact
-- The e-mail address of the coordinator a host should contact (an enabled account), if any.
select email from app_user where name = %(name)s and not disabled;
