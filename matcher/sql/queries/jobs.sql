-- name: save
-- Writes a job's whole state (insert the first time, replace afterwards).
insert into background_job (id, kind, filename, actor, phase, total, done, lines, errors, message, week,
                            started_at, finished_at, updated_at)
values (%(id)s, %(kind)s, %(filename)s, %(actor)s, %(phase)s, %(total)s, %(done)s, %(lines)s, %(errors)s,
        %(message)s, %(week)s, %(started_at)s, %(finished_at)s, now())
on conflict (id) do update set
    phase = excluded.phase, total = excluded.total, done = excluded.done, lines = excluded.lines,
    errors = excluded.errors, message = excluded.message, finished_at = excluded.finished_at,
    updated_at = now();

-- name: get
-- One job; `silent` says whether nothing has been heard of it for a while.
select *, updated_at < now() - make_interval(mins => %(silent_minutes)s) as silent
from background_job where id = %(id)s;

-- name: recent
-- The newest jobs of some kinds first.
select *, updated_at < now() - make_interval(mins => %(silent_minutes)s) as silent
from background_job where kind = any(%(kinds)s)
order by started_at desc
limit %(limit)s;

-- name: latest_batch
-- The weekly batch to show: one still running if any (a refused double start never hides it), else the newest.
select *, updated_at < now() - make_interval(mins => %(silent_minutes)s) as silent
from background_job where kind = 'batch'
order by (phase not in ('done', 'busy', 'failed')
          and updated_at >= now() - make_interval(mins => %(silent_minutes)s)) desc,
         started_at desc
limit 1;
