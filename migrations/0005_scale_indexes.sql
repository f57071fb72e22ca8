-- Scores are looked up per solution and per test (one problem's scores at every iteration:
-- `codedpo scores --problem`, the report's convergence, the ranking views filtered by problem),
-- so the unique indexes lead with the solution or test after the score run. Lookups of one
-- iteration still use all three columns; the score writer appends in this order.
DROP INDEX scores_of_solutions;
DROP INDEX scores_of_tests;
CREATE UNIQUE INDEX scores_of_solutions ON scores (score_run_id, solution_id, iteration)
    WHERE solution_id IS NOT NULL;
CREATE UNIQUE INDEX scores_of_tests ON scores (score_run_id, test_id, iteration)
    WHERE test_id IS NOT NULL;

-- latest_ranking as its own query: built on solution_ranking, a filter by problem was not
-- pushed into it and every score of the run was read.
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
FROM score_runs r
JOIN scores sc ON sc.score_run_id = r.id AND sc.iteration = r.final_iteration
JOIN solutions s ON s.id = sc.solution_id
WHERE r.id = (SELECT max(id) FROM score_runs);

-- The verdict key with its status: what scoring, the report and stats read of a verdict comes
-- from this index alone, never from the table rows (which carry the tests' output). Its
-- prefix is the unique key's, so lookups by (config, solution, test) may use either.
CREATE INDEX executions_with_status ON executions (config_id, solution_id, test_id, status);
