-- registry_version keys the in-memory lexical index, which depends on the listings' texts alone. It
-- moved with every change of a listing, a place taken by each 確定 included: every app process then
-- fingerprinted every text again (an md5 over the whole registry) on its next request, and every such
-- change queued on this one row until its transaction ended. It now moves only when a listing is added
-- or removed or its name or description is written.
drop trigger resource_changed on resource;

create trigger resource_added_or_removed after insert or delete or truncate on resource
for each statement execute function bump_registry_version();

create trigger resource_text_written after update of name, description on resource
for each statement execute function bump_registry_version();
