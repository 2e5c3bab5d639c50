-- name: all
-- Every area with its centroid.
select name, lat, lon from area order by name;

-- name: upsert
-- Adds an area or moves its centroid.
insert into area (name, lat, lon) values (%(name)s, %(lat)s, %(lon)s)
on conflict (name) do update set lat = excluded.lat, lon = excluded.lon;
