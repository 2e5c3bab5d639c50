-- name: followups_due
-- Placements in use whose 1/3/6-month follow-up date has come and is not yet recorded.
select pl.id as placement_id, pl.profile_id, r.name as resource_name, m.month,
       (pl.started_at + make_interval(months => m.month))::date as due
from placement pl
join resource r on r.id = pl.resource_id
cross join (values (1), (3), (6)) as m (month)
where pl.status = 'active'
  and pl.started_at + make_interval(months => m.month) <= now() + make_interval(days => %(ahead_days)s)
  and not exists (select 1 from followup f where f.placement_id = pl.id and f.month = m.month)
order by due, pl.id;

-- name: stale_listings
-- Active listings whose 確認日 is older than the limit (or never set), oldest first.
select r.id, r.name, r.kind, r.area, r.assured_at,
       array_remove(array_agg(u.name order by u.name), null) as hosts
from resource r
left join user_resource ur on ur.resource_id = r.id
left join app_user u on u.id = ur.user_id and not u.disabled
where r.status = 'active' and (r.assured_at is null or r.assured_at < current_date - %(days)s::int)
group by r.id
order by r.assured_at nulls first, r.id
limit %(limit)s;

-- name: stale_count
-- How many active listings have an old or missing 確認日.
select count(*) from resource
where status = 'active' and (assured_at is null or assured_at < current_date - %(days)s::int);

-- name: live_placements
-- Placements not yet ended, by profile, with their status.
select pl.profile_id, pl.status, r.name as resource_name
from live_placement pl join resource r on r.id = pl.resource_id;

-- name: host_answers
-- Hosts' answers to referrals in the last days, newest first.
select pl.id as placement_id, pl.profile_id, r.name as resource_name, pl.host_response,
       pl.host_response_reason, pl.host_responded_at
from placement pl join resource r on r.id = pl.resource_id
where pl.host_responded_at > now() - make_interval(days => %(days)s)
order by pl.host_responded_at desc;

-- name: proposal_counts
-- For each given profile, how many listings it could be proposed per tier (passing every hard constraint,
-- not turned down, not already placed), in one pass. %(eligible)s holds each profile's eligible
-- programmes, comma-separated, in the order of %(ids)s.
with wanted as (
    select u.profile_id, coalesce(string_to_array(nullif(u.eligible, ''), ','), '{}'::text[]) as eligible
    from unnest(%(ids)s::text[], %(eligible)s::text[]) as u(profile_id, eligible)
)
select w.profile_id,
       count(*) filter (where coalesce(r.programme = any(w.eligible), false)) as tier1,
       count(*) filter (where not coalesce(r.programme = any(w.eligible), false)) as tier2
from wanted w
join needs_profile p on p.id = w.profile_id
join resource r on is_feasible(r, p, w.eligible, %(min_overlap)s)
where not exists (select 1 from rejection rj where rj.profile_id = p.id and rj.resource_id = r.id)
  and not exists (select 1 from live_placement pl where pl.profile_id = p.id and pl.resource_id = r.id)
group by w.profile_id;

-- name: caseload
-- Every profile's 担当 (account id and name, null when nobody is) and the date of its newest 支援経過記録.
select p.id as profile_id, p.coordinator_id, u.name as coordinator_name,
       (select max(n.written_on) from case_note n where n.profile_id = p.id) as last_note
from needs_profile p left join app_user u on u.id = p.coordinator_id;
