-- The HSDS API reads its pages in SQL. A service's id is the UUIDv5 of our listing id (registry/hsds.py),
-- which PostgreSQL cannot compute (no SHA-1 without an extension the embedded server lacks), so the pairs
-- are kept here: filled from Python for listings that have none, the first time a lookup misses.
create table hsds_service (
    service_id   uuid primary key,
    resource_id  text not null unique references resource (id) on delete cascade
);
-- `modified_after` pages: listings changed since a moment, in id order.
create index resource_updated_at_idx on resource (updated_at);
-- The text `search` looks in, folded once when a listing is written rather than on every search.
alter table resource add column search_text text not null
    generated always as (lower(normalize(name || ' ' || description || ' ' || area, nfkc))) stored;

-- The listings `/services` finds (null filters: any): every word of `search` in the name, description or
-- area (NFKC, any case; `search_text`); those carrying the attribute `term` (registry/hsds.py to_service writes the
-- optional ones only when set, and every listing carries the others); changed on or after
-- `modified_after`. A SQL function of one select, so the planner inlines it and folds away the filters
-- not given: an unfiltered page is an index scan.
create function hsds_found(search text, term text, modified_after timestamptz)
returns setof resource
language sql stable
as $$
    select * from resource as r
    where (modified_after is null or r.updated_at >= modified_after)
      and (term is null or case term
             when 'programme' then r.programme is not null
             when 'capacity_total' then r.capacity_total is not null
             when 'capacity_open' then r.capacity_open is not null
             when 'accommodation' then cardinality(r.accommodations) > 0
             when 'address' then coalesce(r.address, '') <> ''
             else true end)
      and (search is null or not exists (
             -- the words are a constant once the search is given: the planner folds them before the scan
             select 1 from unnest(regexp_split_to_array(lower(normalize(search, nfkc)), '\s+')) as w (word)
             where w.word <> '' and strpos(r.search_text, w.word) = 0))
$$;
