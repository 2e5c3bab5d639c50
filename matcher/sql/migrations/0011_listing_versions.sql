-- Every write to a listing carries a version: the API's ETag / If-Match and the host form's hidden
-- field. Any change to the row (a host's edit, an import, a confirmation taking a place, a place given
-- back) moves it on, so a save made from an older read is refused instead of undoing what came between.
alter table resource add column version bigint not null default 1;

create function resource_next_version() returns trigger
language plpgsql as $$
begin
    new.version := old.version + 1;
    return new;
end;
$$;

create trigger resource_version before update on resource
    for each row execute function resource_next_version();

-- A background job (import, weekly batch) holds the advisory lock (7100003, lock_key) on a session of
-- its own while it runs: when no session holds it, the process that ran the job is gone and the job is
-- shown as interrupted at once. Null: a job from before this column (judged by how long it was silent).
alter table background_job add column lock_key integer;
