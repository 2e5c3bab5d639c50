-- The targets an admin sets for the figures municipalities report (domain.md §10), one per fiscal year
-- and figure. Counts and days are in their own units, shares as a ratio in 0..1; a cleared target is
-- deleted. Which keys exist and what range each allows: matcher/reports/kpi.py (FIGURES).
create table kpi_target (
    fiscal_year integer not null check (fiscal_year between 2000 and 2100),
    key         text not null check (key in (
        'people_supported', 'cooperating_hosts', 'new_resources', 'placements_started',
        'median_days_to_first_activity', 'retention_3m', 'retention_6m', 'listings_confirmed_12m_share')),
    target      numeric not null check (target >= 0),
    set_by      text not null,
    set_at      timestamptz not null default now(),
    primary key (fiscal_year, key)
);
