-- name: resource_texts
-- Each listing's embedded fields with the model and hash of its stored vector (null when none).
select r.id, r.name, r.description, e.model, e.text_hash
from resource r left join resource_embedding e on e.resource_id = r.id
where %(id)s::text is null or r.id = %(id)s;

-- name: profile_texts
-- Each profile's embedded fields with the model and hash of its stored vector (null when none).
select p.id, p.interests, p.narrative, e.model, e.text_hash
from needs_profile p left join profile_embedding e on e.profile_id = p.id
where %(id)s::text is null or p.id = %(id)s;

-- name: upsert_resource
-- Stores a listing's vector with the model and text hash that made it.
insert into resource_embedding (resource_id, model, text_hash, embedding)
values (%(id)s, %(model)s, %(text_hash)s, %(embedding)s)
on conflict (resource_id) do update
set model = excluded.model, text_hash = excluded.text_hash, embedding = excluded.embedding, embedded_at = now();

-- name: upsert_profile
-- Stores a profile's vector with the model and text hash that made it.
insert into profile_embedding (profile_id, model, text_hash, embedding)
values (%(id)s, %(model)s, %(text_hash)s, %(embedding)s)
on conflict (profile_id) do update
set model = excluded.model, text_hash = excluded.text_hash, embedding = excluded.embedding, embedded_at = now();
