-- Login attempts counted BEFORE the password is checked (issue 12): one counter per account name and
-- one per client address, each in a fixed window. A try takes its place with one
-- INSERT … ON CONFLICT DO UPDATE … RETURNING, whose row lock orders concurrent tries, so a burst can
-- never check more passwords than the limit. The account counter holds every try of the window (a
-- success clears it); the address counter holds only tries whose password was checked and failed (or
-- is being checked), so a locked account does not lock the other accounts of a shared office.
create table login_attempt (
    kind text not null check (kind in ('account', 'address')),
    key text not null,
    window_start timestamptz not null default now(),
    attempts integer not null default 1,
    primary key (kind, key)
);
create index login_attempt_window_idx on login_attempt (window_start);

-- the failure log of 0007 was counted after the check (a race); nothing reads it any more
drop table login_failure;
