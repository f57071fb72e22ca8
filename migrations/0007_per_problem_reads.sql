-- Reads at the paper's scale (issue 16): one problem's rows are found through indexes, and
-- the scores a run's readers walk come from the index alone.

-- Covering score indexes: walking a run's scores (the report's convergence and strategy
-- sections, `codedpo eval`) reads the value from the index and never visits the table rows:
-- 5x less work for every iteration of a self-validation run. The unique indexes stay as they
-- are (they refuse a second score for one solution or test, iteration and run, whatever its
-- value); these carry the value and are not unique.
CREATE INDEX solution_score_values ON scores (score_run_id, solution_id, iteration, value)
    WHERE solution_id IS NOT NULL;
CREATE INDEX test_score_values ON scores (score_run_id, test_id, iteration, value)
    WHERE test_id IS NOT NULL;

-- The pass matrix walks solutions first (CROSS JOIN), so `WHERE problem_id = ?` starts at the
-- problem's solutions and reads 15 x 16 verdicts instead of every verdict of the config.
-- `config_id IN (...)` lets the verdict index serve when no config is named; executions
-- reference an execution config, so it drops no row. The whole matrix costs what it did.
DROP VIEW pass_matrix;
CREATE VIEW pass_matrix AS
SELECT
    e.config_id,
    s.problem_id,
    e.solution_id,
    e.test_id,
    t.kind AS test_kind,
    e.status,
    e.status = 'pass' AS passed
FROM solutions s
CROSS JOIN executions e ON e.config_id IN (SELECT id FROM execution_configs) AND e.solution_id = s.id
JOIN tests t ON t.id = e.test_id;

-- The rankings walk the problem's solutions (tests) first: filtered by `problem_id` alone,
-- without a score run, they searched every score of every run. A filter written as a
-- subquery (`problem_id = (SELECT ...)`) is never pushed into a view with a window: write
-- the id (or a --param), as the README does.
DROP VIEW solution_ranking;
CREATE VIEW solution_ranking AS
SELECT
    r.id AS score_run_id,
    r.strategy,
    s.problem_id,
    sc.solution_id,
    sc.value AS score,
    rank() OVER (PARTITION BY r.id, s.problem_id ORDER BY sc.value DESC) AS rank,
    s.sample_count
FROM solutions s
CROSS JOIN score_runs r
CROSS JOIN scores sc ON sc.score_run_id = r.id AND sc.solution_id = s.id AND sc.iteration = r.final_iteration;

DROP VIEW test_ranking;
CREATE VIEW test_ranking AS
SELECT
    r.id AS score_run_id,
    r.strategy,
    t.problem_id,
    sc.test_id,
    sc.value AS score,
    rank() OVER (PARTITION BY r.id, t.problem_id ORDER BY sc.value DESC) AS rank
FROM tests t
CROSS JOIN score_runs r
CROSS JOIN scores sc ON sc.score_run_id = r.id AND sc.test_id = t.id AND sc.iteration = r.final_iteration;

-- With a covering score index, the planner put `scores` first in latest_ranking and walked
-- the whole run for one problem: the problem's solutions lead here too.
DROP VIEW latest_ranking;
CREATE VIEW latest_ranking AS
SELECT
    r.id AS score_run_id,
    r.strategy,
    s.problem_id,
    sc.solution_id,
    sc.value AS score,
    rank() OVER (PARTITION BY r.id, s.problem_id ORDER BY sc.value DESC) AS rank,
    s.sample_count
FROM solutions s
CROSS JOIN score_runs r
CROSS JOIN scores sc ON sc.score_run_id = r.id AND sc.solution_id = s.id AND sc.iteration = r.final_iteration
WHERE r.id = (SELECT max(id) FROM score_runs);
