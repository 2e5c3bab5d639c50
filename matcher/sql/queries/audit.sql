-- name: insert
-- Appends one audit row.
insert into audit_log (actor, action, entity, entity_id, before, after)
values (%(actor)s, %(action)s, %(entity)s, %(entity_id)s, %(before)s, %(after)s);

-- name: history
-- The newest audit rows, optionally for one entity.
select id, at, actor, action, entity, entity_id, before, after
from audit_log
where (%(entity)s::text is null or entity = %(entity)s)
  and (%(entity_id)s::text is null or entity_id = %(entity_id)s)
order by id desc
limit %(limit)s;

-- name: search
-- Audit rows by person, profile, listing, action and day range, newest first.
select id, at, actor, action, entity, entity_id, before, after
from audit_log
where (%(actor)s::text is null or actor = %(actor)s)
  and (%(action)s::text is null or action = %(action)s)
  and (%(profile_id)s::text is null
       or (entity = 'profile' and entity_id = %(profile_id)s)
       or (entity = 'placement' and %(profile_id)s in (before ->> 'profile_id', after ->> 'profile_id'))
       or (entity = 'placement' and entity_id in (select id::text from placement where profile_id = %(profile_id)s)))
  and (%(resource_id)s::text is null
       or (entity = 'resource' and entity_id = %(resource_id)s)
       or (entity = 'placement' and entity_id in (select id::text from placement where resource_id = %(resource_id)s)))
  and (%(since)s::date is null or at >= %(since)s::date)
  and (%(until)s::date is null or at < %(until)s::date + 1)
order by id desc
limit %(limit)s;

-- name: actions
-- Every distinct action in the log.
select distinct action from audit_log order by action;
