-- name: for_host
-- Referrals to the given listings with only the fields a host may see (domain.md §7).
select pl.id as placement_id, pl.resource_id, r.name as resource_name, pl.status, pl.referred_at,
       p.age_band, p.availability, p.needs_accommodations, p.stage, pl.host_note,
       pl.host_response, pl.host_response_reason, pl.host_responded_at
from placement pl
join resource r on r.id = pl.resource_id
join needs_profile p on p.id = pl.profile_id
where pl.resource_id = any(%(resource_ids)s)
  and pl.status in ('referred', 'trial', 'active')
order by pl.referred_at desc nulls last, pl.id desc;

-- name: referral_of
-- A placement's listing and status, to check that a host may answer it.
select resource_id, status from placement where id = %(id)s;
