-- name: save
-- Writes a job's whole state (insert the first time, replace afterwards; its lock key never changes).
insert into background_job (id, kind, filename, actor, phase, total, done, lines, errors, message, week,
                            started_at, finished_at, updated_at, lock_key)
values (%(id)s, %(kind)s, %(filename)s, %(actor)s, %(phase)s, %(total)s, %(done)s, %(lines)s, %(errors)s,
        %(message)s, %(week)s, %(started_at)s, %(finished_at)s, now(), %(lock_key)s)
on conflict (id) do update set
    phase = excluded.phase, total = excluded.total, done = excluded.done, lines = excluded.lines,
    errors = excluded.errors, message = excluded.message, finished_at = excluded.finished_at,
    updated_at = now();

-- name: hold
-- Takes a job's advisory lock on this session (held while the job runs; released when the session ends).
select pg_try_advisory_lock(7100003, %(lock_key)s);

-- name: get
-- One job; `silent` says whether the process that ran it is gone: no session holds the job's advisory
-- lock (or, for a job from before locks, nothing has been heard of it for a while).
select j.*, job_is_silent(j.lock_key, j.updated_at, %(silent_minutes)s) as silent
from background_job j where j.id = %(id)s;

-- name: reread
-- One job's row, read again after its lock was found free (see jobs._settled).
select * from background_job where id = %(id)s;

-- name: recent
-- The newest jobs of some kinds first (`silent` as for get).
select j.*, job_is_silent(j.lock_key, j.updated_at, %(silent_minutes)s) as silent
from background_job j where j.kind = any(%(kinds)s)
order by j.started_at desc
limit %(limit)s;

-- name: latest_batch
-- The weekly batch to show: one still running if any (a refused double start never hides it, a dead one
-- never holds the place), else the newest. `silent` as for get.
select * from (
    select j.*, job_is_silent(j.lock_key, j.updated_at, %(silent_minutes)s) as silent
    from background_job j where j.kind = 'batch'
) b
order by (b.phase not in ('done', 'busy', 'failed') and not b.silent) desc, b.started_at desc
limit 1;
