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
