-- name: gap_profiles
-- The people in the gap report: area, needs text and needs embedding.
select p.id, p.area, p.interests || E'\n' || p.narrative, e.embedding
from needs_profile p
left join profile_embedding e on e.profile_id = p.id and e.model = %(model)s
where p.id = any(%(ids)s)
order by p.id;

-- name: save_cluster
-- Stores one group of the week's gap report.
insert into gap_cluster (week, cluster, area, size, label, top_constraint, constraint_share, profile_ids)
values (%(week)s, %(cluster)s, %(area)s, %(size)s, %(label)s, %(top_constraint)s, %(constraint_share)s,
        %(profile_ids)s);

-- name: clusters
-- A week's gap report, largest groups first.
select cluster, area, size, label, top_constraint, constraint_share, profile_ids
from gap_cluster where week = %(week)s order by size desc, area, cluster;

-- name: weeks
-- Weeks that have a published gap report, newest first.
select week from batch_run where published_at is not null order by week desc;
