-- name: figures
-- The figures of domain.md §10 for each period [from_at, to_at) (to_at already cut at now), shares of listings as at day.
with period as (
    select n, from_at, to_at, day
    from unnest(%(from_at)s::timestamptz[], %(to_at)s::timestamptz[], %(day)s::date[])
         with ordinality as p (from_at, to_at, day, n)
),
counted as (  -- cancelled placements never count
    select * from placement where status <> 'cancelled'
),
first_activity as (  -- each person's first 見学・体験 or 利用中, ever
    select c.profile_id, min(least(c.trial_at, c.started_at)) as at
    from counted c
    group by c.profile_id
    having min(least(c.trial_at, c.started_at)) is not null
)
select
    p.n,
    (select count(distinct c.profile_id) from counted c
      where c.confirmed_at < p.to_at and coalesce(c.ended_at, %(now)s) >= p.from_at
    ) as people_supported,
    (select count(distinct c.resource_id) from counted c
      where least(c.trial_at, c.started_at) < p.to_at and coalesce(c.ended_at, %(now)s) >= p.from_at
    ) as cooperating_hosts,
    (select count(*) from resource r
      where r.programme is null and r.created_at >= p.from_at and r.created_at < p.to_at
    ) as new_resources,
    (select count(*) from counted c
      where c.started_at >= p.from_at and c.started_at < p.to_at
    ) as placements_started,
    (select round((percentile_cont(0.5) within group (
                order by (f.at at time zone %(tz)s)::date - (np.created_at at time zone %(tz)s)::date
            ))::numeric, 1)
       from first_activity f join needs_profile np on np.id = f.profile_id
      where f.at >= p.from_at and f.at < p.to_at
    ) as median_days_to_first_activity,
    (select round(avg(case when f.still_participating then 1 else 0 end), 3)
       from followup f join counted c on c.id = f.placement_id
      where f.month = 3 and f.recorded_at >= p.from_at and f.recorded_at < p.to_at
    ) as retention_3m,
    (select round(avg(case when f.still_participating then 1 else 0 end), 3)
       from followup f join counted c on c.id = f.placement_id
      where f.month = 6 and f.recorded_at >= p.from_at and f.recorded_at < p.to_at
    ) as retention_6m,
    (select round(avg(case when r.assured_at between p.day - 365 and p.day then 1 else 0 end), 3)
       from resource r
      where r.status = 'active' and (r.created_at at time zone %(tz)s)::date <= p.day
    ) as listings_confirmed_12m_share
from period p
order by p.n;

-- name: targets
-- The targets set for one fiscal year, with who set them and when.
select key, target, set_by, set_at from kpi_target where fiscal_year = %(fiscal_year)s order by key;

-- name: set_target
-- Sets (or replaces) one figure's target for a fiscal year; returns the target it replaced, if any.
with previous as (
    select target from kpi_target where fiscal_year = %(fiscal_year)s and key = %(key)s
)
insert into kpi_target as t (fiscal_year, key, target, set_by, set_at)
values (%(fiscal_year)s, %(key)s, %(target)s, %(set_by)s, %(set_at)s)
on conflict (fiscal_year, key) do update
    set target = excluded.target, set_by = excluded.set_by, set_at = excluded.set_at
returning (select target from previous) as previous;

-- name: clear_target
-- Removes one figure's target for a fiscal year; returns the target removed, if there was one.
delete from kpi_target where fiscal_year = %(fiscal_year)s and key = %(key)s returning target;
