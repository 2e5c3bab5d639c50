-- A placement that still holds its place and its pair (not ended or cancelled): the one definition
-- every query reads, instead of repeating the two statuses.
create view live_placement as
select * from placement where status not in ('ended', 'cancelled');
