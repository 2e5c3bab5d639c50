-- name: try_lock
-- Takes the batch's lock for this session, or answers false when another run holds it.
select pg_try_advisory_lock(7100002);

-- name: unlock
-- Releases the batch's lock.
select pg_advisory_unlock(7100002);

-- name: run_of
-- A week's run record.
select week, status, model_version, published_at from batch_run where week = %(week)s;

-- name: start_run
-- Opens (or reopens) a week's run for staging, keeping what was published until it is replaced.
insert into batch_run (week, status, model_version) values (%(week)s, 'running', %(model_version)s)
on conflict (week) do update
set status = 'running', model_version = excluded.model_version, started_at = now(), finished_at = null;

-- name: clear_staging
-- Forgets a week's staged candidates (before a completed week is run again).
delete from batch_candidate where week = %(week)s;

-- name: clear_done
-- Forgets which profiles a week's staging had finished.
delete from batch_profile_done where week = %(week)s;

-- name: open_profiles
-- Open profiles whose candidates the week has not staged yet.
select p.id from needs_profile p
where p.status = 'open'
  and not exists (select 1 from batch_profile_done d where d.week = %(week)s and d.profile_id = p.id)
order by p.id;

-- name: open_count
-- How many open profiles there are.
select count(*) from needs_profile where status = 'open';

-- name: staged
-- The week's staged candidates of open profiles whose listings are still active, with their capacity.
select c.profile_id, c.resource_id, c.tier, c.score, r.capacity_open
from batch_candidate c
join resource r on r.id = c.resource_id and r.status = 'active'
join needs_profile p on p.id = c.profile_id and p.status = 'open'
where c.week = %(week)s
order by c.profile_id, c.resource_id;

-- name: vanished
-- Staged candidates whose listing was closed, paused or removed while the run went on.
select distinct c.resource_id
from batch_candidate c
left join resource r on r.id = c.resource_id
where c.week = %(week)s and (r.id is null or r.status <> 'active');

-- name: staged_profiles
-- The week's finished profiles (still open) with their failed-constraint counts.
select d.profile_id, d.failed_codes from batch_profile_done d
join needs_profile p on p.id = d.profile_id and p.status = 'open'
where d.week = %(week)s order by d.profile_id;

-- name: clear_published
-- Removes a week's published results (inside the transaction that publishes the new ones).
delete from batch_proposal where week = %(week)s;

-- name: clear_unassigned
-- Removes a week's unassigned list (inside the publishing transaction).
delete from batch_unassigned where week = %(week)s;

-- name: clear_gaps
-- Removes a week's gap report (inside the publishing transaction).
delete from gap_cluster where week = %(week)s;

-- name: publish_proposal
-- Publishes one assigned proposal.
insert into batch_proposal (week, profile_id, resource_id, tier, score, rank)
values (%(week)s, %(profile_id)s, %(resource_id)s, %(tier)s, %(score)s, %(rank)s);

-- name: publish_unassigned
-- Publishes a profile left without a proposal, and why.
insert into batch_unassigned (week, profile_id, reason) values (%(week)s, %(profile_id)s, %(reason)s);

-- name: finish_run
-- Marks a week done and published, with its figures and notes.
update batch_run set status = 'done', finished_at = now(), published_at = now(), stats = %(stats)s,
    notes = %(notes)s
where week = %(week)s;

-- name: previous_week
-- The latest published week before this one.
select week from batch_run where published_at is not null and week < %(week)s order by week desc limit 1;

-- name: published
-- A week's published proposals.
select profile_id, resource_id, tier, score, rank from batch_proposal where week = %(week)s
order by profile_id, rank;

-- name: unassigned
-- A week's profiles without a proposal.
select profile_id, reason from batch_unassigned where week = %(week)s order by profile_id;

-- name: runs
-- Every run, newest first; a run still marked running that no session holds the batch's lock for was
-- interrupted (its process died): it shows as such at once, and the next run resumes it.
select week,
       case when status = 'running'
                 and not exists (select 1 from pg_locks l
                                 where l.locktype = 'advisory' and l.granted
                                   and l.database = (select oid from pg_database
                                                     where datname = current_database())
                                   and l.classid = 0 and l.objid = 7100002 and l.objsubid = 1)
            then 'interrupted' else status end as status,
       started_at, finished_at, published_at, model_version, stats, notes
from batch_run order by week desc;

-- name: latest_published
-- The newest published week.
select week from batch_run where published_at is not null order by week desc limit 1;

-- name: changes
-- Per profile, proposals new this week, dropped since the previous week, or moved in rank (one
-- profile's only, given its id: a profile page reads its own, not the whole city's).
with now_ as (
    select profile_id, resource_id, rank from batch_proposal
    where week = %(week)s and (%(profile_id)s::text is null or profile_id = %(profile_id)s)
), before as (
    select profile_id, resource_id, rank from batch_proposal
    where week = %(previous)s and (%(profile_id)s::text is null or profile_id = %(profile_id)s)
)
select coalesce(n.profile_id, b.profile_id) as profile_id,
       coalesce(n.resource_id, b.resource_id) as resource_id,
       case when b.resource_id is null then 'new' when n.resource_id is null then 'dropped' else 'moved' end
           as change,
       b.rank as old_rank, n.rank as new_rank
from now_ n full join before b on b.profile_id = n.profile_id and b.resource_id = n.resource_id
where b.resource_id is null or n.resource_id is null or b.rank <> n.rank
order by 1, 3, 2;

-- name: profile_week
-- One profile's published proposals for a week, with listing names, in rank order.
select b.rank, b.resource_id, r.name, b.tier, b.score
from batch_proposal b join resource r on r.id = b.resource_id
where b.week = %(week)s and b.profile_id = %(profile_id)s
order by b.rank;

-- name: unassigned_one
-- Why one profile got no proposal that week.
select reason from batch_unassigned where week = %(week)s and profile_id = %(profile_id)s;

-- name: profile_vectors
-- Every profile's vector for one model.
select profile_id, embedding from profile_embedding where model = %(model)s;

-- name: profile_words
-- The words stored for each profile's text (their hash says which text they came from).
select profile_id, text_hash, features from profile_words;

-- name: store_profile_words
-- Keeps the words of profile texts just analysed, only while the text is the one they came from (a
-- profile changed meanwhile keeps nothing of its old text).
insert into profile_words (profile_id, text_hash, features)
select u.id, u.text_hash, u.features
from unnest(%(ids)s::text[], %(hashes)s::text[], %(features)s::text[]) as u (id, text_hash, features)
join needs_profile p
    on p.id = u.id and md5(%(analyser)s || p.interests || chr(10) || p.narrative) = u.text_hash
on conflict (profile_id) do update set text_hash = excluded.text_hash, features = excluded.features;

-- name: not_again
-- (profile, listing) pairs never to propose again: turned down, or placed and not ended.
select profile_id, resource_id from rejection
union
select profile_id, resource_id from live_placement;

-- name: reusable_week
-- The latest finished week before this one scored with the same weights, and when its run started.
select week, started_at from batch_run
where status = 'done' and week < %(week)s and model_version is not distinct from %(model_version)s
order by week desc limit 1;

-- name: changed_listings
-- Listings added or changed (their record or their vector) since a moment.
select r.id from resource r left join resource_embedding e on e.resource_id = r.id
where r.updated_at > %(since)s or e.embedded_at > %(since)s;

-- name: touched_profiles
-- Profiles whose record, vector or decisions changed since a moment.
select p.id from needs_profile p where p.updated_at > %(since)s
union select profile_id from profile_embedding where embedded_at > %(since)s
union select profile_id from rejection where rejected_at > %(since)s
union select profile_id from placement where updated_at > %(since)s or confirmed_at > %(since)s;

-- name: previous_candidates
-- Each profile's candidates in a week, with their tier and score.
select profile_id, resource_id, tier, score from batch_candidate where week = %(week)s;

-- name: previously_done
-- The profiles a week finished, with their failed-constraint counts and whether their pool was full.
select profile_id, failed_codes, saturated from batch_profile_done where week = %(week)s;

-- name: reuse_candidates
-- Copies the candidates of unaffected profiles from an earlier week.
insert into batch_candidate (week, profile_id, resource_id, tier, score)
select %(week)s, profile_id, resource_id, tier, score from batch_candidate
where week = %(previous)s and profile_id = any(%(ids)s)
on conflict do nothing;

-- name: reuse_done
-- Marks the reused profiles as finished for this week, with their earlier failed-constraint counts.
insert into batch_profile_done (week, profile_id, failed_codes, saturated)
select %(week)s, profile_id, failed_codes, saturated from batch_profile_done
where week = %(previous)s and profile_id = any(%(ids)s)
on conflict do nothing;

-- name: copy_candidates
-- Stages a chunk of scored candidates (COPY rows: week, profile, listing, tier, score).
copy batch_candidate (week, profile_id, resource_id, tier, score) from stdin;

-- name: copy_done
-- Marks a chunk of profiles as complete (COPY rows: week, profile, failed-constraint counts, saturated).
copy batch_profile_done (week, profile_id, failed_codes, saturated) from stdin;

-- name: lock_staging
-- One transaction at a time replaces staged pieces of a week (held until the transaction ends).
select pg_advisory_xact_lock(7100005, hashtext(%(week)s));

-- name: unstage_candidates
-- Forgets what an earlier attempt staged for these profiles (a retried piece replaces it).
delete from batch_candidate where week = %(week)s and profile_id = any(%(ids)s);

-- name: unstage_done
-- Forgets that an earlier attempt finished these profiles.
delete from batch_profile_done where week = %(week)s and profile_id = any(%(ids)s);

-- name: run_started
-- When the week's run (re)started: tells a task which run it belongs to.
select started_at from batch_run where week = %(week)s and status = 'running';

-- name: places_of
-- Where these profiles are and how far they travel, to split them into pieces by place.
select id, lat, lon, max_travel_km from needs_profile where id = any(%(ids)s) order by id;

-- name: job_states
-- The state and attempts of the run's tasks (procrastinate's jobs).
select id, status::text, attempts from procrastinate_jobs where id = any(%(ids)s);

-- name: stalled_jobs
-- The run's tasks held by a worker that has stopped sending heartbeats (killed, or its machine gone):
-- procrastinate's own select_stalled_jobs_by_heartbeat, for these jobs only.
select j.id from procrastinate_jobs j
left join procrastinate_workers w on w.id = j.worker_id
where j.id = any(%(ids)s) and j.status = 'doing'
  and (j.worker_id is null or w.last_heartbeat < now() - make_interval(secs => %(seconds)s));

-- name: leftover_jobs
-- Tasks of an earlier, interrupted run of the week still waiting: the new run cancels them.
select id from procrastinate_jobs
where task_name = 'matcher.stage_piece' and status = 'todo' and args ->> 'week' = %(week)s;

-- name: forget_jobs
-- Removes the run's finished tasks from the queue once the week is staged (their events go with them).
delete from procrastinate_jobs where id = any(%(ids)s) and status = 'succeeded';
