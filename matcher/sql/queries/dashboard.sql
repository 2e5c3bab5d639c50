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
-- Active listings whose 確認日 is older than the limit (or never set), oldest first, with their hosts.
with oldest as (
    select r.id, r.name, r.kind, r.area, r.assured_at
    from resource r
    where r.status = 'active' and (r.assured_at is null or r.assured_at < current_date - %(days)s::int)
    order by r.assured_at nulls first, r.id
    limit %(limit)s
)
select o.*,
       array(select u.name from user_resource ur join app_user u on u.id = ur.user_id and not u.disabled
             where ur.resource_id = o.id order by u.name) as hosts
from oldest o
order by o.assured_at nulls first, o.id;

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

-- name: fold_proposal_changes
-- Folds the changes logged since into the stored proposal counts, unless another transaction is at it (migration 0023).
select fold_proposal_changes(%(rules)s, %(min_overlap)s);

-- name: proposal_counts
-- (tier 1, tier 2) proposals of every profile not closed, current as of this statement (migration 0023).
select profile_id, tier1, tier2 from proposal_counts(%(rules)s, %(min_overlap)s);

-- name: caseload
-- Every profile's 担当 (account id and name, null when nobody is) and the date of its newest 支援経過記録.
select p.id as profile_id, p.coordinator_id, u.name as coordinator_name,
       (select max(n.written_on) from case_note n where n.profile_id = p.id) as last_note
from needs_profile p left join app_user u on u.id = p.coordinator_id;
