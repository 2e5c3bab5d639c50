-- name: decisions
-- Confirmations and rejections with the parts they were shown with, and the 3-month outcome, oldest first.
select pl.confirmed_at as at, pl.features, 1 as label,
       (select case when f.still_participating then 1 else 0 end from followup f
        where f.placement_id = pl.id and f.month = 3) as outcome
from placement pl
where pl.features is not null
union all
select rj.rejected_at as at, rj.features, 0 as label, null as outcome
from rejection rj
where rj.features is not null
order by at;

-- name: adopted
-- The newest adopted model.
select version, weights from scoring_model where adopted order by version desc limit 1;

-- name: next_version
-- The next model version number.
select coalesce(max(version), 0) + 1 from scoring_model;

-- name: insert_model
-- Stores a trained model and whether it was adopted.
insert into scoring_model (version, weights, metrics, training_size, adopted, note)
values (%(version)s, %(weights)s, %(metrics)s, %(training_size)s, %(adopted)s, %(note)s);

-- name: models
-- Every model, newest first.
select version, created_at, weights, metrics, training_size, adopted, note from scoring_model order by version desc;

-- name: model_weights
-- The weights of one model version.
select weights from scoring_model where version = %(version)s;
