-- Whether the process that ran a background job is gone: no session holds the job's advisory lock
-- (7100003, lock_key; see matcher/jobs.py), or, for a job from before locks, nothing has been heard of
-- it for silent_minutes. One definition for every query that shows jobs.
create function job_is_silent(lock_key bigint, updated_at timestamptz, silent_minutes integer)
returns boolean language sql stable as $$
    select not (case when lock_key is null
                     then updated_at >= now() - make_interval(mins => silent_minutes)
                     else exists (select 1 from pg_locks l
                                  where l.locktype = 'advisory' and l.granted
                                    and l.database = (select oid from pg_database
                                                      where datname = current_database())
                                    and l.classid = 7100003 and l.objid = lock_key::oid
                                    and l.objsubid = 2) end)
$$;
