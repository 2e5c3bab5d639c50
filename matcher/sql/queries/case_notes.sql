-- name: add
-- Adds one dated 支援経過記録 to a profile; returns it.
insert into case_note (profile_id, written_on, author, body)
values (%(profile_id)s, %(written_on)s, %(author)s, %(body)s)
returning id, profile_id, written_on, author, body, created_at;

-- name: of_profile
-- A profile's 支援経過記録, newest date first (the latest written first within a day).
select id, profile_id, written_on, author, body, created_at
from case_note
where profile_id = %(profile_id)s
order by written_on desc, id desc
limit %(limit)s;

-- name: count_of_profile
-- How many 支援経過記録 a profile has.
select count(*) from case_note where profile_id = %(profile_id)s;

-- name: profile_exists
-- Whether a needs profile with this id exists.
select exists (select 1 from needs_profile where id = %(profile_id)s);
