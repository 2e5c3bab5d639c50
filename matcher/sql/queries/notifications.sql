-- name: recipient
-- An enabled account's e-mail address and whether it takes a daily digest.
select email, mail_digest from app_user where name = %(name)s and not disabled and email is not null;

-- name: hosts_of_listing
-- The enabled host accounts tied to a listing.
select u.name from app_user u join user_resource ur on ur.user_id = u.id
where ur.resource_id = %(resource_id)s and u.role = 'provider' and not u.disabled
order by u.name;

-- name: enqueue
-- Puts a mail in the outbox and wakes the senders once the transaction commits.
with queued as (
    insert into mail_outbox (account, kind, subject, body, digest)
    values (%(account)s, %(kind)s, %(subject)s, %(body)s, %(digest)s)
    returning id
)
select pg_notify('mail_outbox', id::text) from queued;

-- name: take_pending
-- Mails due now (not waiting for a digest, tried fewer than 5 times), locked so that one sender sends each.
select o.id, o.subject, o.body, u.email
from mail_outbox o join app_user u on u.name = o.account
where o.sent_at is null and not o.digest and o.attempts < 5 and u.email is not null and not u.disabled
order by o.id
limit 50
for update of o skip locked;

-- name: take_digests
-- Every mail waiting for a digest, by account, locked so that one sender sends each.
select o.id, o.account, o.subject, o.body, u.email
from mail_outbox o join app_user u on u.name = o.account
where o.sent_at is null and o.digest and o.attempts < 5 and u.email is not null and not u.disabled
order by o.account, o.id
for update of o skip locked;

-- name: mark_sent
-- Marks mails as sent.
update mail_outbox set sent_at = now(), attempts = attempts + 1, last_error = null where id = any(%(ids)s);

-- name: mark_failed
-- Counts a failed try and keeps why.
update mail_outbox set attempts = attempts + 1, last_error = %(error)s where id = any(%(ids)s);

-- name: outbox_counts
-- The outbox at a glance: waiting, sent today, failed for good.
select count(*) filter (where sent_at is null and attempts < 5) as waiting,
       count(*) filter (where sent_at >= current_date) as sent_today,
       count(*) filter (where sent_at is null and attempts >= 5) as failed
from mail_outbox;

-- name: mark_reminded
-- Notes that a placement's reminder went out today.
update placement set reminded_on = current_date where id = %(id)s;
