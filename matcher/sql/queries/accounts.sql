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

-- name: user_for_login
-- An enabled account by name, with its password hash and listings.
select u.id, u.name, u.role, u.password_hash, array_remove(array_agg(ur.resource_id), null) as resource_ids
from app_user u
left join user_resource ur on ur.user_id = u.id
where u.name = %(name)s and not u.disabled
group by u.id;

-- name: set_password
-- Replaces an account's password hash.
update app_user set password_hash = %(hash)s where name = %(name)s;

-- name: insert_session
-- Starts a browser session and returns when it expires.
insert into web_session (token_hash, user_id, csrf_token, expires_at)
values (%(token_hash)s, %(user_id)s, %(csrf)s, now() + %(ttl)s)
returning expires_at;

-- name: session_by_token
-- A live session with its enabled account and that account's listings.
select u.id, u.name, u.role, s.csrf_token, s.expires_at,
       array_remove(array_agg(ur.resource_id), null) as resource_ids
from web_session s
join app_user u on u.id = s.user_id
left join user_resource ur on ur.user_id = u.id
where s.token_hash = %(token_hash)s and s.expires_at > now() and not u.disabled
group by u.id, s.csrf_token, s.expires_at;

-- name: delete_session
-- Ends a browser session.
delete from web_session where token_hash = %(token_hash)s;

-- name: list_users
-- Every account with its listings.
select u.id, u.name, u.role, u.disabled, u.created_at, u.password_hash is not null as has_password,
       array_remove(array_agg(ur.resource_id order by ur.resource_id), null) as resource_ids
from app_user u
left join user_resource ur on ur.user_id = u.id
group by u.id
order by u.role, u.name;

-- name: set_disabled
-- Disables or enables an account (a disabled account's sessions and tokens stop working).
update app_user set disabled = %(disabled)s where id = %(id)s returning name;

-- name: unlink_resources
-- Unties a host account from all its listings.
delete from user_resource where user_id = %(user_id)s;

-- name: user_by_id
-- One account by id.
select id, name, role from app_user where id = %(id)s;

-- name: recent_failures
-- Failed logins for this name or from this address within the window.
select count(*) filter (where name = %(name)s), count(*) filter (where address = %(address)s)
from login_failure
where at > now() - %(window)s and (name = %(name)s or address = %(address)s);

-- name: record_failure
-- Remembers a failed login.
insert into login_failure (name, address) values (%(name)s, %(address)s);

-- name: clear_failures
-- Forgets an account's failed logins after it signs in, and old ones of everybody.
delete from login_failure where name = %(name)s or at < now() - interval '1 day';
