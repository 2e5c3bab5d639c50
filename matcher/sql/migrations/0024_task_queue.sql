-- The weekly batch spreads its work over workers through procrastinate (a task queue kept in
-- PostgreSQL). Its tables and functions are procrastinate's own, applied by matcher/db.py at migrate
-- time from the installed package; this row records which version of them is in place, so that
-- upgrading the package applies procrastinate's own migrations since that version.
create table task_queue_schema (
    singleton  boolean primary key default true check (singleton),
    version    text not null,
    applied_at timestamptz not null default now()
);
