-- name: create
-- Opens one 開拓候補 at the stage 候補; returns its id.
insert into development_candidate (name, kind, area, need, gap_week, gap_cluster, gap_label, created_by, stage_by)
values (%(name)s, %(kind)s, %(area)s, %(need)s, %(gap_week)s, %(gap_cluster)s, %(gap_label)s, %(by)s, %(by)s)
returning id;

-- name: lock
-- Locks one 開拓候補 for a change of stage; returns its stage.
select stage from development_candidate where id = %(id)s for update;

-- name: candidates
-- The 開拓候補 with this id, or every one (of one area, or all when area is null), newest move first
-- within a stage; each with the name of the listing it became, and its notes counted.
select c.id, c.name, c.kind, c.area, c.need, c.gap_week, c.gap_cluster, c.gap_label, c.stage,
       c.drop_reason, c.resource_id, r.name as resource_name, c.created_by, c.created_at, c.stage_by,
       c.stage_at, (select count(*) from development_note n where n.candidate_id = c.id)::int as note_count,
       (select max(n.written_on) from development_note n where n.candidate_id = c.id) as last_note_on
from development_candidate c
left join resource r on r.id = c.resource_id
where (%(id)s::bigint is null or c.id = %(id)s::bigint) and (%(area)s::text is null or c.area = %(area)s::text)
order by c.stage_at desc, c.id desc;

-- name: areas
-- The areas that have a 開拓候補, by name.
select distinct area from development_candidate order by area;

-- name: move
-- Sets a 開拓候補's stage (and the reason when it is 見送り; cleared otherwise).
update development_candidate
set stage = %(stage)s, drop_reason = %(drop_reason)s, stage_by = %(by)s, stage_at = now()
where id = %(id)s;

-- name: register
-- Marks a 開拓候補 登録済 with the listing it became.
update development_candidate
set stage = 'registered', resource_id = %(resource_id)s, drop_reason = null, stage_by = %(by)s,
    stage_at = now()
where id = %(id)s;

-- name: add_note
-- Adds one dated note to a 開拓候補; returns it.
insert into development_note (candidate_id, written_on, author, body)
values (%(candidate_id)s, %(written_on)s, %(author)s, %(body)s)
returning id, candidate_id, written_on, author, body, created_at;

-- name: notes
-- A 開拓候補's notes, newest date first (the latest written first within a day).
select id, candidate_id, written_on, author, body, created_at
from development_note
where candidate_id = %(candidate_id)s
order by written_on desc, id desc;

-- name: gap_group
-- One group of a week's gap report: area, size, name and the constraint that most often ruled out.
select week, cluster, area, size, label, top_constraint
from gap_cluster
where week = %(week)s and cluster = %(cluster)s;

-- name: of_resource
-- The 開拓候補 a listing was registered from (id and name), if any.
select id, name from development_candidate where resource_id = %(resource_id)s;

-- name: resource_exists
-- Whether a listing with this id exists.
select exists (select 1 from resource where id = %(resource_id)s);

-- name: add_support
-- Adds one dated entry of support given to a host; returns it.
insert into host_support (resource_id, given_on, kind, amount_yen, note, author)
values (%(resource_id)s, %(given_on)s, %(kind)s, %(amount_yen)s, %(note)s, %(author)s)
returning id, resource_id, given_on, kind, amount_yen, note, author, created_at;

-- name: support_log
-- The support given to one host's listing, newest date first.
select id, resource_id, given_on, kind, amount_yen, note, author, created_at
from host_support
where resource_id = %(resource_id)s
order by given_on desc, id desc;

-- name: support_summary
-- The support given to one listing counted by kind, with the 応援金 total and the latest date of each.
select kind, count(*)::int, coalesce(sum(amount_yen), 0)::bigint, max(given_on)
from host_support
where resource_id = %(resource_id)s
group by kind;
