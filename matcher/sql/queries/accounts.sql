-- name: user_by_name
-- Whether an account with this name exists.
select id from app_user where name = %(name)s;

-- name: resource_exists
-- Whether a listing with this id exists.
select 1 from resource where id = %(id)s;

-- name: insert_user
-- Creates an account and returns its id.
insert into app_user (name, role, password_hash) values (%(name)s, %(role)s, %(password_hash)s) returning id;

-- name: link_resource
-- Ties a host's account to one of its listings.
insert into user_resource (user_id, resource_id) values (%(user_id)s, %(resource_id)s) on conflict do nothing;

-- name: insert_token
-- Stores the hash of a new API token.
insert into api_token (token_hash, user_id) values (%(token_hash)s, %(user_id)s);

-- name: user_by_token
-- The enabled account a token hash belongs to, with the listings it may edit.
select u.id, u.name, u.role, array_remove(array_agg(ur.resource_id), null) as resource_ids
from api_token t
join app_user u on u.id = t.user_id
left join user_resource ur on ur.user_id = u.id
where t.token_hash = %(token_hash)s and not u.disabled
group by u.id;
