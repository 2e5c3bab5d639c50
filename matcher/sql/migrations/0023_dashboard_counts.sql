-- The dashboard's proposal counts, kept between views instead of counted afresh on every one (about
-- 0.2 s of PostgreSQL per view at 10,000 listings).
--
-- proposal_pair holds every pair (profile not closed, listing) the dashboard counts, as of the last
-- fold, and proposal_count its totals per profile. Every write that can move a count logs what it
-- touched in proposal_change, in the writer's own transaction, through the triggers below (whatever
-- code path writes): (profile, null) every pair of a profile, (null, listing) every pair of a
-- listing, (profile, listing) one pair, (null, null) everything. A fold takes the log and recounts
-- only the pairs it names; a reader adds to the stored totals the recount of the pairs named by the
-- changes logged since (visible in its own snapshot). Either way the figures equal a count from
-- scratch: a change and its log entry commit together, so a snapshot that sees one sees the other.
-- Writers only insert into the log, so they never wait for a fold or for each other.
--
-- The counted pairs are those of the proposals (domain.md §6): is_feasible, not turned down, not
-- placed. proposal_count_fingerprint names what the stored pairs were computed with (the eligibility
-- rules, the minimum overlap, the definitions of is_feasible, exclusion_codes and live_placement): when
-- it differs, the store is rebuilt. The eligibility rules come from matcher/matching/eligibility.py
-- (RULES) as JSON; programme_eligibility applies them as eligibility.check does, and a test holds the
-- two to the same answer.

create table proposal_pair (
    profile_id  text not null,
    resource_id text not null,
    tier        smallint not null check (tier in (1, 2)),
    primary key (profile_id, resource_id)
);
create index proposal_pair_resource_idx on proposal_pair (resource_id);

create table proposal_count (
    profile_id text primary key,
    tier1      integer not null check (tier1 >= 0),
    tier2      integer not null check (tier2 >= 0)
);

create table proposal_change (
    id          bigint generated always as identity primary key,
    profile_id  text,
    resource_id text
);
insert into proposal_change (profile_id, resource_id) values (null, null);  -- nothing is stored yet

create table proposal_count_state (
    only_row    boolean primary key default true check (only_row),
    fingerprint text
);
insert into proposal_count_state (fingerprint) values (null);

-- ---------------------------------------------------------------- what changed

create function note_resource_change() returns trigger language plpgsql as $$
begin
    -- open places going from 3 to 2 (every confirmation) moves no count; reaching or leaving 0 does
    if tg_op = 'UPDATE' and old.id = new.id
       and (old.capacity_open = 0) is not distinct from (new.capacity_open = 0)
       and to_jsonb(old) - '{capacity_open,updated_at,version}'::text[]
           = to_jsonb(new) - '{capacity_open,updated_at,version}'::text[] then
        return null;
    end if;
    if tg_op in ('UPDATE', 'DELETE') then
        insert into proposal_change (resource_id) values (old.id);
    end if;
    if tg_op = 'INSERT' or (tg_op = 'UPDATE' and old.id <> new.id) then
        insert into proposal_change (resource_id) values (new.id);
    end if;
    return null;
end
$$;

create function note_profile_change() returns trigger language plpgsql as $$
begin
    -- open ↔ placed (confirming, cancelling) moves no count: live placements are logged by pair
    if tg_op = 'UPDATE' and old.id = new.id
       and (old.status = 'closed') = (new.status = 'closed')
       and to_jsonb(old) - '{status,updated_at}'::text[] = to_jsonb(new) - '{status,updated_at}'::text[] then
        return null;
    end if;
    if tg_op in ('UPDATE', 'DELETE') then
        insert into proposal_change (profile_id) values (old.id);
    end if;
    if tg_op = 'INSERT' or (tg_op = 'UPDATE' and old.id <> new.id) then
        insert into proposal_change (profile_id) values (new.id);
    end if;
    return null;
end
$$;

-- A turned-down pair, before and after.
create function note_rejection_change() returns trigger language plpgsql as $$
begin
    if tg_op in ('UPDATE', 'DELETE') then
        insert into proposal_change (profile_id, resource_id) values (old.profile_id, old.resource_id);
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        insert into proposal_change (profile_id, resource_id) values (new.profile_id, new.resource_id);
    end if;
    return null;
end
$$;

-- A placement's pair, before and after. Its other steps (referred, trial, active, host answers) keep
-- the pair and whether it is live (live_placement: not ended or cancelled), and move no count.
create function note_placement_change() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' and (old.profile_id, old.resource_id) = (new.profile_id, new.resource_id)
       and (old.status in ('ended', 'cancelled')) = (new.status in ('ended', 'cancelled')) then
        return null;
    end if;
    if tg_op in ('UPDATE', 'DELETE') then
        insert into proposal_change (profile_id, resource_id) values (old.profile_id, old.resource_id);
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        insert into proposal_change (profile_id, resource_id) values (new.profile_id, new.resource_id);
    end if;
    return null;
end
$$;

create function note_everything_changed() returns trigger language plpgsql as $$
begin
    insert into proposal_change (profile_id, resource_id) values (null, null);
    return null;
end
$$;

create trigger resource_proposal_change after insert or update or delete on resource
for each row execute function note_resource_change();
create trigger needs_profile_proposal_change after insert or update or delete on needs_profile
for each row execute function note_profile_change();
create trigger rejection_proposal_change after insert or update or delete on rejection
for each row execute function note_rejection_change();
create trigger placement_proposal_change after insert or update or delete on placement
for each row execute function note_placement_change();
create trigger resource_truncated after truncate on resource
for each statement execute function note_everything_changed();
create trigger needs_profile_truncated after truncate on needs_profile
for each statement execute function note_everything_changed();
create trigger rejection_truncated after truncate on rejection
for each statement execute function note_everything_changed();
create trigger placement_truncated after truncate on placement
for each statement execute function note_everything_changed();

-- ---------------------------------------------------------------- counting

-- The programmes a person with these facts and age band is eligible for, by rules given as JSON
-- ([{programme, facts, min_age, max_age}], from eligibility.RULES): one of the facts (if any), and
-- every age of the band within the range (if any). The same test as eligibility.check.
create function programme_eligibility(person_facts text[], person_age_band text, rules jsonb)
returns text[] language sql immutable parallel safe as $$
    select coalesce(array_agg(rule.programme order by rule.programme), '{}')
    from jsonb_to_recordset(rules) as rule(programme text, facts text[], min_age integer, max_age integer)
    where (cardinality(rule.facts) = 0 or rule.facts && person_facts)
      and (rule.min_age is null or split_part(person_age_band, '-', 1)::int >= rule.min_age)
      and (rule.max_age is null or split_part(person_age_band, '-', 2)::int <= rule.max_age)
$$;

-- What the stored pairs depend on besides the data.
create function proposal_count_fingerprint(rules jsonb, min_overlap integer)
returns text language sql stable as $$
    select md5(concat_ws('|', rules::text, min_overlap::text,
        pg_get_functiondef('is_feasible(resource, needs_profile, text[], integer)'::regprocedure),
        pg_get_functiondef('exclusion_codes(resource, needs_profile, text[], integer)'::regprocedure),
        pg_get_viewdef('live_placement'::regclass)))
$$;

-- The pairs counted now among those named by changes (see above): every pair when `everything`, the
-- pairs of changed_profiles, of changed_resources, and the single pairs (pair_profiles[i],
-- pair_resources[i]). Tier 1 when the listing's programme is one the person is eligible for. The
-- condition is written twice below, the same lines: every pair is one scan of the listings per
-- person, where naming the 370,000 pairs first and looking each up again took three times as long.
create function counted_pairs(
    everything boolean, changed_profiles text[], changed_resources text[],
    pair_profiles text[], pair_resources text[], rules jsonb, min_overlap integer
) returns table (profile_id text, resource_id text, tier smallint)
language plpgsql stable as $$
#variable_conflict use_column
begin
    if everything then
        return query
        with person as (
            select p.id, programme_eligibility(p.facts, p.age_band, rules) as eligible
            from needs_profile p where p.status <> 'closed'
        )
        select p.id, r.id, (case when coalesce(r.programme = any(pr.eligible), false) then 1 else 2 end)::smallint
        from person pr
        join needs_profile p on p.id = pr.id
        join resource r on is_feasible(r, p, pr.eligible, min_overlap)
        where not exists (select 1 from rejection rj where rj.profile_id = p.id and rj.resource_id = r.id)
          and not exists (select 1 from live_placement pl where pl.profile_id = p.id and pl.resource_id = r.id);
        return;
    end if;
    return query
    with person as (
        select p.id, programme_eligibility(p.facts, p.age_band, rules) as eligible
        from needs_profile p where p.status <> 'closed'
    ), named as (
        select pr.id as profile_id, r.id as resource_id from person pr cross join resource r
        where pr.id = any(changed_profiles)
        union
        select pr.id, r.id from person pr cross join resource r where r.id = any(changed_resources)
        union
        select u.profile_id, u.resource_id from unnest(pair_profiles, pair_resources) as u(profile_id, resource_id)
    )
    select p.id, r.id, (case when coalesce(r.programme = any(pr.eligible), false) then 1 else 2 end)::smallint
    from named n
    join person pr on pr.id = n.profile_id
    join needs_profile p on p.id = n.profile_id
    join resource r on r.id = n.resource_id
    where is_feasible(r, p, pr.eligible, min_overlap)
      and not exists (select 1 from rejection rj where rj.profile_id = p.id and rj.resource_id = r.id)
      and not exists (select 1 from live_placement pl where pl.profile_id = p.id and pl.resource_id = r.id);
end
$$;

-- The stored pairs named by changes (the same arguments as counted_pairs).
create function stored_pairs(
    changed_profiles text[], changed_resources text[], pair_profiles text[], pair_resources text[]
) returns setof proposal_pair language sql stable as $$
    select b.* from proposal_pair b where b.profile_id = any(changed_profiles)
    union
    select b.* from proposal_pair b where b.resource_id = any(changed_resources)
    union
    select b.* from proposal_pair b
    join unnest(pair_profiles, pair_resources) as u(profile_id, resource_id)
      on (b.profile_id, b.resource_id) = (u.profile_id, u.resource_id)
$$;

-- Logged changes this many or more are counted as everything (a large import): recounting all is
-- then cheaper than recounting pair by pair.
create function proposal_changes_too_many(changed_profiles text[], changed_resources text[])
returns boolean language sql immutable as $$
    select cardinality(changed_profiles) >= 200 or cardinality(changed_resources) >= 2000
$$;

-- Folds the logged changes into the stored pairs and counts, when no other transaction is folding
-- (else returns false at once: a reader then adds the changes itself). The store is rebuilt when
-- its fingerprint differs or the log says everything (or names too many changes): that waits for a
-- fold under way, so that views arriving together do not each count everything.
create function fold_proposal_changes(rules jsonb, min_overlap integer)
returns boolean language plpgsql as $$
declare
    wanted text := proposal_count_fingerprint(rules, min_overlap);
    everything boolean;
    ps text[]; rs text[]; pair_ps text[]; pair_rs text[];
begin
    if not exists (select 1 from proposal_change)
       and wanted is not distinct from (select fingerprint from proposal_count_state) then
        return true;
    end if;
    -- in a snapshot older than the lock (repeatable read) a fold would miss the last one's work
    if current_setting('transaction_isolation') <> 'read committed' then
        return false;
    end if;
    -- a rebuild is waited for (one recount of everything, not one per view at once); else a view
    -- finding the lock taken counts the few changes itself
    if exists (select 1 from proposal_change where profile_id is null and resource_id is null)
       or (select count(*) from proposal_change) >= 2000
       or wanted is distinct from (select fingerprint from proposal_count_state) then
        perform pg_advisory_xact_lock(7100023);
    elsif not pg_try_advisory_xact_lock(7100023) then
        return false;
    end if;
    -- each statement below sees every commit before it, this lock's last holder's included
    with taken as (delete from proposal_change returning profile_id, resource_id)
    select coalesce(bool_or(t.profile_id is null and t.resource_id is null), false),
           coalesce(array_agg(distinct t.profile_id) filter (where t.resource_id is null and t.profile_id is not null), '{}'),
           coalesce(array_agg(distinct t.resource_id) filter (where t.profile_id is null and t.resource_id is not null), '{}'),
           coalesce(array_agg(t.profile_id) filter (where t.profile_id is not null and t.resource_id is not null), '{}'),
           coalesce(array_agg(t.resource_id) filter (where t.profile_id is not null and t.resource_id is not null), '{}')
    into everything, ps, rs, pair_ps, pair_rs
    from taken t;
    everything := everything or proposal_changes_too_many(ps, rs)
                  or wanted is distinct from (select fingerprint from proposal_count_state);
    if everything then
        delete from proposal_pair;
        delete from proposal_count;
        insert into proposal_pair
        select * from counted_pairs(true, '{}', '{}', '{}', '{}', rules, min_overlap);
        insert into proposal_count
        select b.profile_id, count(*) filter (where b.tier = 1), count(*) filter (where b.tier = 2)
        from proposal_pair b group by b.profile_id;
        update proposal_count_state set fingerprint = wanted;
        return true;
    end if;
    if ps = '{}' and rs = '{}' and pair_ps = '{}' then
        return true;
    end if;
    with removed as (
        delete from proposal_pair b using stored_pairs(ps, rs, pair_ps, pair_rs) s
        where (b.profile_id, b.resource_id) = (s.profile_id, s.resource_id)
        returning b.profile_id, b.tier
    )
    update proposal_count c set tier1 = c.tier1 - d.tier1, tier2 = c.tier2 - d.tier2
    from (select profile_id, count(*) filter (where tier = 1) as tier1, count(*) filter (where tier = 2) as tier2
          from removed group by profile_id) d
    where c.profile_id = d.profile_id;
    with added as (
        insert into proposal_pair
        select * from counted_pairs(false, ps, rs, pair_ps, pair_rs, rules, min_overlap)
        returning proposal_pair.profile_id, proposal_pair.tier
    )
    insert into proposal_count (profile_id, tier1, tier2)
    select a.profile_id, count(*) filter (where a.tier = 1), count(*) filter (where a.tier = 2)
    from added a group by a.profile_id
    on conflict (profile_id) do update
    set tier1 = proposal_count.tier1 + excluded.tier1, tier2 = proposal_count.tier2 + excluded.tier2;
    delete from proposal_count where tier1 = 0 and tier2 = 0;
    return true;
end
$$;

-- (tier 1, tier 2) per profile as of the caller's snapshot: the stored counts, with the pairs named
-- by the changes logged since recounted (or everything counted afresh when the store is not current).
create function proposal_counts(rules jsonb, min_overlap integer)
returns table (profile_id text, tier1 bigint, tier2 bigint) language plpgsql stable as $$
#variable_conflict use_column
declare
    everything boolean;
    ps text[]; rs text[]; pair_ps text[]; pair_rs text[];
begin
    select coalesce(bool_or(t.profile_id is null and t.resource_id is null), false),
           coalesce(array_agg(distinct t.profile_id) filter (where t.resource_id is null and t.profile_id is not null), '{}'),
           coalesce(array_agg(distinct t.resource_id) filter (where t.profile_id is null and t.resource_id is not null), '{}'),
           coalesce(array_agg(t.profile_id) filter (where t.profile_id is not null and t.resource_id is not null), '{}'),
           coalesce(array_agg(t.resource_id) filter (where t.profile_id is not null and t.resource_id is not null), '{}')
    into everything, ps, rs, pair_ps, pair_rs
    from proposal_change t;
    if everything or proposal_changes_too_many(ps, rs)
       or proposal_count_fingerprint(rules, min_overlap)
          is distinct from (select fingerprint from proposal_count_state) then
        return query
        select c.profile_id, count(*) filter (where c.tier = 1), count(*) filter (where c.tier = 2)
        from counted_pairs(true, '{}', '{}', '{}', '{}', rules, min_overlap) c group by c.profile_id;
        return;
    end if;
    if ps = '{}' and rs = '{}' and pair_ps = '{}' then  -- nothing changed since the last fold
        return query select c.profile_id, c.tier1::bigint, c.tier2::bigint from proposal_count c;
        return;
    end if;
    return query
    with change as (
        select s.profile_id, s.tier, -1 as sign from stored_pairs(ps, rs, pair_ps, pair_rs) s
        union all
        select c.profile_id, c.tier, 1 from counted_pairs(false, ps, rs, pair_ps, pair_rs, rules, min_overlap) c
    ), delta as (
        select d.profile_id, sum(d.sign) filter (where d.tier = 1) as tier1,
               sum(d.sign) filter (where d.tier = 2) as tier2
        from change d group by d.profile_id
    )
    select coalesce(c.profile_id, d.profile_id),
           coalesce(c.tier1, 0) + coalesce(d.tier1, 0), coalesce(c.tier2, 0) + coalesce(d.tier2, 0)
    from proposal_count c full join delta d on d.profile_id = c.profile_id;
end
$$;

-- ---------------------------------------------------------------- the dashboard's other sections

-- Active listings by 確認日, oldest (and never confirmed) first: the dashboard's stale listings are the
-- first few of these, and their count a range of it, without reading every listing.
create index resource_active_assured_idx on resource (assured_at nulls first, id) where status = 'active';
