-- Notifications: accounts get an e-mail address (and hosts may take a daily digest), and mails wait in
-- an outbox written in the same transaction as the change they tell of (matcher/notifications).
alter table app_user
    add column email text check (email is null or email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
    add column mail_digest boolean not null default false;

create table mail_outbox (
    id          bigint generated always as identity primary key,
    account     text not null,          -- the account name it is for (its address is read when sent)
    kind        text not null,          -- what happened: referral, withdrawn, reminder, answered, overdue
    subject     text not null,
    body        text not null,
    digest      boolean not null default false,  -- waits for the daily digest
    created_at  timestamptz not null default now(),
    sent_at     timestamptz,
    attempts    int not null default 0,
    last_error  text
);
create index mail_outbox_pending on mail_outbox (created_at) where sent_at is null;
