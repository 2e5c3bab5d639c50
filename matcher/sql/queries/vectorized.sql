-- name: listings
-- Every listing's fields with its vector for one model (null when it has none).
select r.id, r.name, r.kind, r.programme, r.hosts_participation, r.status, r.capacity_total, r.capacity_open,
       r.schedule, r.contact_level, r.physical_load, r.min_age, r.max_age, r.accommodations, r.reward,
       r.assured_at, r.lat, r.lon, e.embedding
from resource r
left join resource_embedding e on e.resource_id = r.id and e.model = %(model)s
order by r.id;
