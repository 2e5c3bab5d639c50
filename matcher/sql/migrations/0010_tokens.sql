-- API tokens get an id (to list and revoke one without knowing it) and the time they were last used
-- (recorded when a token authenticates, at most once a minute).
alter table api_token add column id bigint generated always as identity;
alter table api_token add constraint api_token_id_key unique (id);
alter table api_token add column last_used_at timestamptz;
