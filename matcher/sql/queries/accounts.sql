-- name: user_by_name
-- Whether an account with this name exists.
select id from app_user where name = %(name)s;

-- name: resource_exists
-- Whether a listing with this id exists.
select 1 from resource where id = %(id)s;

-- name: insert_user
-- Creates an account and returns its id.
insert into app_user (name, role, password_hash, email, mail_digest)
values (%(name)s, %(role)s, %(password_hash)s, %(email)s, %(mail_digest)s) returning id;

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
       u.email, u.mail_digest,
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

-- name: count_login_attempt
-- Counts one login try for an account or an address (a new window once the old one is over); the count.
insert into login_attempt (kind, key) values (%(kind)s, %(key)s)
on conflict (kind, key) do update set
    window_start = case when login_attempt.window_start <= now() - %(window)s::interval
                        then now() else login_attempt.window_start end,
    attempts = case when login_attempt.window_start <= now() - %(window)s::interval
                    then 1 else login_attempt.attempts + 1 end
returning attempts;

-- name: release_login_attempt
-- Gives back one counted try (its password was not checked, or it was right).
update login_attempt set attempts = greatest(attempts - 1, 0) where kind = %(kind)s and key = %(key)s;

-- name: clear_login_attempts
-- Forgets an account's tries after it signs in, and every counter whose window ended a day ago.
delete from login_attempt
where (kind = 'account' and key = %(name)s) or window_start < now() - interval '1 day';

-- name: is_disabled
-- Whether an account is disabled.
select disabled from app_user where id = %(id)s;

-- name: all_names
-- Every account name (to refuse a look-alike of one of them).
select name from app_user;

-- name: lock_names
-- Serialises account creation so that two look-alike names cannot be created at once.
select pg_advisory_xact_lock(hashtext('matcher.app_user.name'));

-- name: end_sessions
-- Ends every browser session of an account.
delete from web_session where user_id = %(user_id)s;

-- name: delete_tokens
-- Revokes every API token of an account; returns their ids.
delete from api_token where user_id = %(user_id)s returning id;

-- name: delete_token
-- Revokes one API token of an account; returns its id.
delete from api_token where user_id = %(user_id)s and id = %(token_id)s returning id;

-- name: list_tokens
-- API tokens (all, or one account's) with when each was made and last used.
select t.id, t.user_id, u.name as user_name, t.created_at, t.last_used_at
from api_token t
join app_user u on u.id = t.user_id
where %(user_id)s::bigint is null or t.user_id = %(user_id)s
order by u.name, t.id;

-- name: note_token_use
-- Records that a token authenticated, at most once a minute; a row another request is writing is skipped.
update api_token set last_used_at = now()
where token_hash = (
    select token_hash from api_token
    where token_hash = %(token_hash)s
      and (last_used_at is null or last_used_at < now() - interval '1 minute')
    for update skip locked
);

-- name: user_id_by_name
-- One account by name.
select id, name, role from app_user where name = %(name)s;

-- name: set_email
-- Sets an account's e-mail address (null: none) and whether it takes a daily digest.
update app_user set email = %(email)s, mail_digest = %(mail_digest)s where name = %(name)s
returning (select email from app_user where name = %(name)s) as before;
