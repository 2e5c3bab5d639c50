-- name: page
-- One page of the listings hsds_found finds (migration 0025), in id order (the export's order), with when each last changed: ids are paged first, so an unfiltered page reads only the index and its own rows.
select r.id, r.updated_at
from (select id from hsds_found(%(search)s, %(term)s, %(modified_after)s)
      order by id limit %(limit)s offset %(offset)s) as p
join resource as r using (id)
order by r.id;

-- name: count
-- How many listings hsds_found finds.
select count(*) from hsds_found(%(search)s, %(term)s, %(modified_after)s);

-- name: resource_of
-- The listing id behind an HSDS service id, from the kept pairs.
select resource_id from hsds_service where service_id = %(service_id)s;

-- name: unnamed
-- Listings whose HSDS service id is not kept yet.
select r.id from resource as r where not exists (select 1 from hsds_service as s where s.resource_id = r.id);

-- name: name_services
-- Keeps service ids for listings (a pair another request kept meanwhile is left as it is).
insert into hsds_service (service_id, resource_id)
select * from unnest(%(service_ids)s::uuid[], %(resource_ids)s::text[])
on conflict do nothing;

-- name: modified
-- When a listing last changed.
select updated_at from resource where id = %(id)s;
