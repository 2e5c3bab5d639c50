-- Failed logins, for rate limiting by account name and by client address.
create table login_failure (
    name text not null,
    address text not null,
    at timestamptz not null default now()
);
create index login_failure_name_idx on login_failure (name, at);
create index login_failure_address_idx on login_failure (address, at);
