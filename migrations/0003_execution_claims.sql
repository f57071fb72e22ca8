-- Which execute run is working on which solution under an execution config, so that two
-- runs started on one database share the work instead of both running it. A run claims a
-- solution just before its workers take it and drops its claims when it ends; the claim of a
-- run that is no longer 'running' (finished, failed, or killed: its process is gone) is free
-- to take, so a killed run's unfinished work is picked up. Verdicts stay unique per
-- (config, solution, test) whatever happens to claims.
CREATE TABLE execution_claims (
    config_id INTEGER NOT NULL REFERENCES execution_configs (id),
    solution_id INTEGER NOT NULL REFERENCES solutions (id),
    run_id INTEGER NOT NULL REFERENCES runs (id),
    PRIMARY KEY (config_id, solution_id)
) WITHOUT ROWID;
