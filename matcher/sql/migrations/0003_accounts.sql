-- Accounts: coordinators, hosts (providers) tied to their listings, and admins; API tokens.
create table app_user (
    id            bigint generated always as identity primary key,
    name          text not null unique check (name <> ''),
    role          text not null check (role in ('coordinator', 'provider', 'admin')),
    password_hash text,
    disabled      boolean not null default false,
    created_at    timestamptz not null default now()
);

create table api_token (
    token_hash text primary key,
    user_id    bigint not null references app_user (id) on delete cascade,
    created_at timestamptz not null default now()
);

create table user_resource (
    user_id     bigint not null references app_user (id) on delete cascade,
    resource_id text not null references resource (id) on delete cascade,
    primary key (user_id, resource_id)
);
