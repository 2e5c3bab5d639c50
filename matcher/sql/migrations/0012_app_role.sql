-- The application may run as a role that owns nothing (matcher db create-roles): it cannot disable,
-- drop or bypass the audit log's trigger. The one piece of DDL the application needs at run time, the
-- HNSW index for a new embedding dimension, is made by this function on the owner's behalf.
create function ensure_embedding_index(dim integer) returns void
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    if dim is null or dim < 1 or dim > 4000 then
        raise exception 'embedding dimension out of range: %', dim;
    end if;
    execute format(
        'create index if not exists %I on resource_embedding'
        ' using hnsw ((embedding::vector(%s)) vector_cosine_ops) where vector_dims(embedding) = %s',
        'resource_embedding_hnsw_' || dim, dim, dim);
end $$;
