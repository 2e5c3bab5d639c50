-- The host portal: a host's answer to a referral.
alter table placement
    add column host_response text check (host_response in ('accepted', 'declined')),
    add column host_response_reason text,
    add column host_responded_at timestamptz,
    add column host_responded_by text;
