-- codedpo: the current schema, as one readable file.
--
-- This is what applying every file in migrations/ to an empty database produces (a test
-- checks it). Change the schema by adding a migration, then update this file to match.
-- Timestamps are ISO-8601 UTC text; JSON columns are text checked with json_valid().
--
-- The pipeline, and the tables each stage writes:
--   seeds -> problems -> solutions + tests        (import, generate: *_sources, generations)
--         -> executions                           (execute: execution_configs, executions)
--         -> score_runs, scores                   (score)
--         -> efficiency_runs, trusted_tests, timings, efficiency_results   (efficiency)
--         -> pair_sets, pairs                     (pairs)
--         -> exports                              (export)

-- Applied migrations, written by the migrations runner: version, file name and SHA-256 of
-- the file's text. An edited applied migration or a newer database is refused.
CREATE TABLE schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    tool_version TEXT NOT NULL
);

-- Every command that changed data: its command line, parameters, tool version, host and
-- pid, start and end, status ('running' until it ends; 'interrupted' when its process died)
-- and error. Every produced row points back here through run_id.
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    command TEXT NOT NULL,
    argv TEXT NOT NULL CHECK (json_valid(argv)),
    parameters TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(parameters)),
    tool_version TEXT NOT NULL,
    host TEXT,
    pid INTEGER,
    started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    finished_at TEXT,
    status TEXT NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'ok', 'failed', 'interrupted')),
    error TEXT,
    summary TEXT CHECK (summary IS NULL OR json_valid(summary))
);
CREATE INDEX runs_by_command ON runs (command, started_at);

-- Where rows came from: a file (identified by the SHA-256 of its bytes, so the same file
-- imported again from any path is the same source) or an LLM endpoint. uri is the path or
-- URL as given; repository and commit_sha are set for files in a git checkout.
CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('file', 'endpoint')),
    identity TEXT NOT NULL UNIQUE,
    uri TEXT NOT NULL,
    sha256 TEXT,
    size_bytes INTEGER,
    repository TEXT,
    commit_sha TEXT,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Seed code that problems are generated from, one row per distinct content (content_hash is
-- the SHA-256 of the normalized text). kind: a top-level function or class, a whole file, or
-- a snippet from JSONL.
CREATE TABLE seeds (
    id INTEGER PRIMARY KEY,
    content_hash TEXT NOT NULL UNIQUE,
    content TEXT NOT NULL,
    language TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'snippet'
        CHECK (kind IN ('function', 'class', 'file', 'snippet')),
    name TEXT,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Where each seed was found: one row per (seed, source file, locator), so the same code in two
-- places is one seed with two sources. locator is e.g. the line range.
CREATE TABLE seed_sources (
    seed_id INTEGER NOT NULL REFERENCES seeds (id),
    source_id INTEGER NOT NULL REFERENCES sources (id),
    locator TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    path TEXT,
    start_line INTEGER,
    end_line INTEGER,
    metadata TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
    PRIMARY KEY (seed_id, source_id, locator)
) WITHOUT ROWID;

-- Every LLM request and its response: stage, endpoint, model, API kind, the template text
-- used, the request body (never the API key), sampling parameters, status, attempts, token
-- counts and latency. slot numbers the requests made for one problem or seed and stage, so
-- a resumed run knows which are missing.
CREATE TABLE generations (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    stage TEXT NOT NULL CHECK (stage IN ('problem', 'solution', 'test')),
    seed_id INTEGER REFERENCES seeds (id),
    problem_id INTEGER REFERENCES problems (id),
    slot INTEGER NOT NULL DEFAULT 0,
    endpoint TEXT NOT NULL,
    model TEXT NOT NULL,
    api TEXT NOT NULL CHECK (api IN ('chat', 'completion')),
    template_name TEXT,
    template TEXT,
    request TEXT NOT NULL CHECK (json_valid(request)),
    parameters TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(parameters)),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ok', 'failed')),
    http_status INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    response TEXT CHECK (response IS NULL OR json_valid(response)),
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    latency_s REAL,
    started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    finished_at TEXT,
    CHECK (seed_id IS NOT NULL OR problem_id IS NOT NULL)
);
CREATE INDEX generations_by_problem ON generations (problem_id, stage);
CREATE INDEX generations_by_seed ON generations (seed_id, stage);
-- slot is unique per stage and problem (or seed): no two requests are recorded as the same one.
CREATE UNIQUE INDEX generations_by_slot
    ON generations (stage, ifnull(problem_id, 0), ifnull(seed_id, 0), slot);

-- One row per choice of a generation's response, with whether it parsed (and why not),
-- how many problems, solutions or tests it yielded (items), and how it was parsed (details:
-- for tests, which asserts were dropped and why).
CREATE TABLE generation_outputs (
    id INTEGER PRIMARY KEY,
    generation_id INTEGER NOT NULL REFERENCES generations (id),
    choice_index INTEGER NOT NULL,
    text TEXT NOT NULL,
    finish_reason TEXT,
    parse_status TEXT NOT NULL CHECK (parse_status IN ('ok', 'unparseable')),
    parse_error TEXT,
    items INTEGER NOT NULL DEFAULT 0 CHECK (items >= 0),
    details TEXT CHECK (details IS NULL OR json_valid(details)),
    UNIQUE (generation_id, choice_index)
);

-- Programming tasks. external_id is the name users refer to (HumanEval/0); content_hash
-- identifies the task by its language, entry point and normalized prompt.
CREATE TABLE problems (
    id INTEGER PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL UNIQUE,
    prompt TEXT NOT NULL,
    entry_point TEXT,
    language TEXT NOT NULL DEFAULT 'python',
    seed_id INTEGER REFERENCES seeds (id),
    generation_id INTEGER REFERENCES generations (id),
    metadata TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
    run_id INTEGER NOT NULL REFERENCES runs (id),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Where each problem came from (file and line, or generation), one row per provenance.
CREATE TABLE problem_sources (
    problem_id INTEGER NOT NULL REFERENCES problems (id),
    source_id INTEGER NOT NULL REFERENCES sources (id),
    locator TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    external_id TEXT,
    metadata TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
    PRIMARY KEY (problem_id, source_id, locator)
) WITHOUT ROWID;

-- Candidate programs for a problem. code is the whole program the tests run against
-- (for completions: prompt + completion). One row per distinct normalized code per problem;
-- sample_count is how many times it was sampled, summed over its sources. High-volume tables
-- (solutions, tests, executions) carry no timestamp of their own: run_id -> runs.started_at.
CREATE TABLE solutions (
    id INTEGER PRIMARY KEY,
    problem_id INTEGER NOT NULL REFERENCES problems (id),
    content_hash TEXT NOT NULL,
    code TEXT NOT NULL,
    sample_count INTEGER NOT NULL DEFAULT 0 CHECK (sample_count >= 0),
    run_id INTEGER NOT NULL REFERENCES runs (id),
    UNIQUE (problem_id, content_hash)
);

-- Each provenance of a solution: source (file or endpoint), locator (line, sample index),
-- count (times sampled there), model, and the generation that produced it.
CREATE TABLE solution_sources (
    solution_id INTEGER NOT NULL REFERENCES solutions (id),
    source_id INTEGER NOT NULL REFERENCES sources (id),
    locator TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    count INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1),
    model TEXT,
    generation_id INTEGER REFERENCES generations (id),
    metadata TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
    PRIMARY KEY (solution_id, source_id, locator)
) WITHOUT ROWID;

-- Tests of a problem: Python code run after the solution's code in the same namespace.
-- kind 'generated' tests are what scoring ranks with; 'ground_truth' tests are held out for
-- evaluation. sample_count counts how many times the test was sampled. test_set: 'base' (a
-- benchmark's own tests, or HumanEval+/MBPP+ base_input) or 'plus' (plus_input); NULL otherwise.
CREATE TABLE tests (
    id INTEGER PRIMARY KEY,
    problem_id INTEGER NOT NULL REFERENCES problems (id),
    kind TEXT NOT NULL CHECK (kind IN ('generated', 'ground_truth')),
    content_hash TEXT NOT NULL,
    code TEXT NOT NULL,
    sample_count INTEGER NOT NULL DEFAULT 0 CHECK (sample_count >= 0),
    run_id INTEGER NOT NULL REFERENCES runs (id),
    test_set TEXT CHECK (test_set IS NULL OR test_set IN ('base', 'plus')),
    UNIQUE (problem_id, kind, content_hash)
);

-- Each provenance of a test, like solution_sources.
CREATE TABLE test_sources (
    test_id INTEGER NOT NULL REFERENCES tests (id),
    source_id INTEGER NOT NULL REFERENCES sources (id),
    locator TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    count INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1),
    model TEXT,
    generation_id INTEGER REFERENCES generations (id),
    metadata TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
    PRIMARY KEY (test_id, source_id, locator)
) WITHOUT ROWID;

-- How code was run: interpreter and version, isolation level, limits. Identified by the
-- hash of its parameters, so the same settings reuse one config and verdicts accumulate.
CREATE TABLE execution_configs (
    id INTEGER PRIMARY KEY,
    content_hash TEXT NOT NULL UNIQUE,
    interpreter TEXT NOT NULL,
    interpreter_version TEXT NOT NULL,
    isolation TEXT NOT NULL CHECK (isolation IN ('process', 'bwrap')),
    timeout_s REAL NOT NULL CHECK (timeout_s > 0),
    load_timeout_s REAL NOT NULL CHECK (load_timeout_s > 0),
    memory_mb INTEGER CHECK (memory_mb IS NULL OR memory_mb > 0),
    cpu_s REAL CHECK (cpu_s IS NULL OR cpu_s > 0),
    max_processes INTEGER CHECK (max_processes IS NULL OR max_processes > 0),
    max_file_mb INTEGER CHECK (max_file_mb IS NULL OR max_file_mb >= 0),
    max_open_files INTEGER CHECK (max_open_files IS NULL OR max_open_files > 0),
    output_limit_bytes INTEGER NOT NULL CHECK (output_limit_bytes >= 0),
    parameters TEXT NOT NULL CHECK (json_valid(parameters)),
    run_id INTEGER NOT NULL REFERENCES runs (id),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- One verdict per (config, solution, test). status: pass (the harness saw the test body
-- return), fail (assertion failed), error (another exception), timeout, memory, crash (the
-- process died or reported nothing), load_error (the solution itself did not load).
CREATE TABLE executions (
    id INTEGER PRIMARY KEY,
    config_id INTEGER NOT NULL REFERENCES execution_configs (id),
    solution_id INTEGER NOT NULL REFERENCES solutions (id),
    test_id INTEGER NOT NULL REFERENCES tests (id),
    status TEXT NOT NULL
        CHECK (status IN ('pass', 'fail', 'error', 'timeout', 'memory', 'crash', 'load_error')),
    duration_s REAL,
    cpu_s REAL,
    max_rss_kb INTEGER,
    output TEXT,
    error TEXT,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    UNIQUE (config_id, solution_id, test_id)
);
CREATE INDEX executions_by_test ON executions (test_id, config_id);
-- The verdict key with its status: scoring, the report and stats read verdicts from this
-- index alone, never from the rows (which carry the tests' output).
CREATE INDEX executions_with_status ON executions (config_id, solution_id, test_id, status);

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

-- One scoring of the verdicts of one execution config with one strategy and its
-- parameters. final_iteration is the iteration whose scores are the result.
CREATE TABLE score_runs (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    strategy TEXT NOT NULL,
    parameters TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(parameters)),
    config_id INTEGER NOT NULL REFERENCES execution_configs (id),
    test_kind TEXT NOT NULL DEFAULT 'generated' CHECK (test_kind IN ('generated', 'ground_truth')),
    final_iteration INTEGER NOT NULL DEFAULT 0 CHECK (final_iteration >= 0),
    problems_scored INTEGER NOT NULL DEFAULT 0,
    problems_skipped INTEGER NOT NULL DEFAULT 0,
    summary TEXT CHECK (summary IS NULL OR json_valid(summary)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Score of every solution and every test at every iteration of a score run (iteration 0 is
-- the initial value). Exactly one of solution_id and test_id is set.
CREATE TABLE scores (
    score_run_id INTEGER NOT NULL REFERENCES score_runs (id),
    iteration INTEGER NOT NULL CHECK (iteration >= 0),
    solution_id INTEGER REFERENCES solutions (id),
    test_id INTEGER REFERENCES tests (id),
    value REAL NOT NULL,
    CHECK ((solution_id IS NULL) <> (test_id IS NULL))
);
-- Led by the solution (test) so one problem's scores at every iteration are one range each.
CREATE UNIQUE INDEX scores_of_solutions ON scores (score_run_id, solution_id, iteration)
    WHERE solution_id IS NOT NULL;
CREATE UNIQUE INDEX scores_of_tests ON scores (score_run_id, test_id, iteration)
    WHERE test_id IS NOT NULL;
-- The same with the value: readers walking a run's scores never visit the table rows.
CREATE INDEX solution_score_values ON scores (score_run_id, solution_id, iteration, value)
    WHERE solution_id IS NOT NULL;
CREATE INDEX test_score_values ON scores (score_run_id, test_id, iteration, value)
    WHERE test_id IS NOT NULL;

-- One timing of the solutions of a score run: method (instructions or CPU time), repetitions,
-- parameters.
CREATE TABLE efficiency_runs (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    score_run_id INTEGER NOT NULL REFERENCES score_runs (id),
    config_id INTEGER REFERENCES execution_configs (id),
    method TEXT NOT NULL CHECK (method IN ('instructions', 'cpu_time', 'wall_time')),
    repeat INTEGER NOT NULL CHECK (repeat >= 1),
    parameters TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(parameters)),
    summary TEXT CHECK (summary IS NULL OR json_valid(summary)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Per efficiency run and problem, the tests passed by the top-scored solution: the tests
-- used for timing.
CREATE TABLE trusted_tests (
    efficiency_run_id INTEGER NOT NULL REFERENCES efficiency_runs (id),
    problem_id INTEGER NOT NULL REFERENCES problems (id),
    test_id INTEGER NOT NULL REFERENCES tests (id),
    PRIMARY KEY (efficiency_run_id, test_id)
) WITHOUT ROWID;

-- Every timed repetition of a solution on one trusted test, with the loop count used to
-- make it measurable.
CREATE TABLE timings (
    id INTEGER PRIMARY KEY,
    efficiency_run_id INTEGER NOT NULL REFERENCES efficiency_runs (id),
    solution_id INTEGER NOT NULL REFERENCES solutions (id),
    test_id INTEGER NOT NULL REFERENCES tests (id),
    repetition INTEGER NOT NULL CHECK (repetition >= 0),
    loops INTEGER NOT NULL DEFAULT 1 CHECK (loops >= 1),
    status TEXT NOT NULL DEFAULT 'pass'
        CHECK (status IN ('pass', 'fail', 'error', 'timeout', 'memory', 'crash', 'load_error')),
    cpu_s REAL,
    wall_s REAL,
    instructions INTEGER,
    UNIQUE (efficiency_run_id, solution_id, test_id, repetition)
);

-- Per efficiency run and solution: median and spread of the measurements, whether they are
-- too noisy to rank, and the rank by speed within the problem.
CREATE TABLE efficiency_results (
    efficiency_run_id INTEGER NOT NULL REFERENCES efficiency_runs (id),
    solution_id INTEGER NOT NULL REFERENCES solutions (id),
    problem_id INTEGER NOT NULL REFERENCES problems (id),
    status TEXT NOT NULL CHECK (status IN ('ranked', 'noisy', 'failed')),
    median REAL,
    spread REAL,
    unit TEXT CHECK (unit IS NULL OR unit IN ('instructions', 'seconds')),
    rank INTEGER,
    PRIMARY KEY (efficiency_run_id, solution_id)
) WITHOUT ROWID;

-- A named set of preference pairs, with the policy (JSON) that built it from a score run
-- and optionally an efficiency run.
CREATE TABLE pair_sets (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    score_run_id INTEGER NOT NULL REFERENCES score_runs (id),
    efficiency_run_id INTEGER REFERENCES efficiency_runs (id),
    policy TEXT NOT NULL CHECK (json_valid(policy)),
    summary TEXT CHECK (summary IS NULL OR json_valid(summary)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- A preference pair: chosen and rejected solution of one problem, their scores and the
-- margin; kind is correctness or efficiency.
CREATE TABLE pairs (
    id INTEGER PRIMARY KEY,
    pair_set_id INTEGER NOT NULL REFERENCES pair_sets (id),
    problem_id INTEGER NOT NULL REFERENCES problems (id),
    kind TEXT NOT NULL CHECK (kind IN ('correctness', 'efficiency')),
    chosen_solution_id INTEGER NOT NULL REFERENCES solutions (id),
    rejected_solution_id INTEGER NOT NULL REFERENCES solutions (id),
    chosen_score REAL,
    rejected_score REAL,
    margin REAL,
    metadata TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
    CHECK (chosen_solution_id <> rejected_solution_id),
    UNIQUE (pair_set_id, kind, chosen_solution_id, rejected_solution_id)
);
CREATE INDEX pairs_by_problem ON pairs (pair_set_id, problem_id);

-- Every training-set file written: format, path, row count, sha256 and the manifest. A pair
-- format names its pair set; every export names its score run (an RL format's trusted tests).
CREATE TABLE exports (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    pair_set_id INTEGER REFERENCES pair_sets (id),
    score_run_id INTEGER REFERENCES score_runs (id),
    format TEXT NOT NULL
        CHECK (format IN ('trl', 'trl-chat', 'kto', 'sft', 'llamafactory', 'openrlhf', 'grpo', 'verl', 'openrlhf-rl')),
    split TEXT,
    path TEXT NOT NULL,
    count INTEGER NOT NULL CHECK (count >= 0),
    sha256 TEXT NOT NULL,
    manifest TEXT NOT NULL CHECK (json_valid(manifest)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK (pair_set_id IS NOT NULL OR score_run_id IS NOT NULL)
);

CREATE INDEX problems_by_seed ON problems (seed_id);

-- Per problem: number of solutions, samples, generated and ground-truth tests.
CREATE VIEW problem_summary AS
SELECT
    p.id AS problem_id,
    p.external_id,
    p.entry_point,
    (SELECT count(*) FROM solutions s WHERE s.problem_id = p.id) AS solutions,
    (SELECT coalesce(sum(s.sample_count), 0) FROM solutions s WHERE s.problem_id = p.id) AS samples,
    (SELECT count(*) FROM tests t WHERE t.problem_id = p.id AND t.kind = 'generated') AS generated_tests,
    (SELECT count(*) FROM tests t WHERE t.problem_id = p.id AND t.kind = 'ground_truth') AS ground_truth_tests
FROM problems p;

-- Per stage, model and status: requests, HTTP attempts, choices returned, choices that
-- parsed, items they yielded, tokens and mean latency.
CREATE VIEW generation_summary AS
SELECT
    g.stage,
    g.model,
    g.status,
    count(*) AS requests,
    sum(g.attempts) AS attempts,
    coalesce(sum(o.choices), 0) AS choices,
    coalesce(sum(o.parsed), 0) AS parsed,
    coalesce(sum(o.items), 0) AS items,
    coalesce(sum(g.prompt_tokens), 0) AS prompt_tokens,
    coalesce(sum(g.completion_tokens), 0) AS completion_tokens,
    avg(g.latency_s) AS mean_latency_s
FROM generations g
LEFT JOIN (
    SELECT generation_id, count(*) AS choices, sum(parse_status = 'ok') AS parsed, sum(items) AS items
    FROM generation_outputs
    GROUP BY generation_id
) o ON o.generation_id = g.id
GROUP BY g.stage, g.model, g.status;

-- Verdicts with their problem and test kind; passed is 1 for pass, else 0. Solutions lead
-- (CROSS JOIN), so a filter by problem reads only that problem's verdicts; executions always
-- name an execution config, so `config_id IN (...)` drops nothing and lets the verdict index
-- serve when no config is named.
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

-- Verdict counts and mean duration per execution config and status.
CREATE VIEW execution_summary AS
SELECT config_id, status, count(*) AS executions, avg(duration_s) AS mean_duration_s
FROM executions
GROUP BY config_id, status;

-- (config, solution, test) triples of the same problem that have no verdict yet.
CREATE VIEW pending_executions AS
SELECT c.id AS config_id, s.problem_id, s.id AS solution_id, t.id AS test_id, t.kind AS test_kind
FROM execution_configs c
JOIN solutions s
JOIN tests t ON t.problem_id = s.problem_id
WHERE NOT EXISTS (
    SELECT 1 FROM executions e
    WHERE e.config_id = c.id AND e.solution_id = s.id AND e.test_id = t.id
);

-- Final-iteration score and rank (1 = best, ties share a rank) of every solution in every
-- score run. The problem's solutions lead (CROSS JOIN), so a filter by problem_id reads
-- only that problem's scores. Write the problem's id (or a --param), not a subquery: a
-- subquery filter is not pushed into a view with a window, and the whole view is computed.
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

-- Final-iteration score and rank of every test in every score run (tests lead, as above).
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

-- solution_ranking restricted to the most recent score run (its own query, so a filter by
-- problem reaches the indexes).
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

-- A benchmark file imported for decontamination: name, format, the file's SHA-256 (the same
-- file imported again is the same benchmark) and how many items it holds.
CREATE TABLE benchmarks (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    format TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    items INTEGER NOT NULL CHECK (items >= 0),
    run_id INTEGER NOT NULL REFERENCES runs (id),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- One benchmark problem: its id in the benchmark, prompt, docstring (the prompt's
-- description) and reference solution, as matched against.
CREATE TABLE benchmark_items (
    id INTEGER PRIMARY KEY,
    benchmark_id INTEGER NOT NULL REFERENCES benchmarks (id),
    external_id TEXT NOT NULL,
    prompt TEXT NOT NULL,
    docstring TEXT,
    solution TEXT,
    UNIQUE (benchmark_id, external_id)
);

-- One check of the training data against benchmarks: parameters (n-gram size, minimum
-- substring length, whitelist, benchmarks) and what it found.
CREATE TABLE decontamination_runs (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    parameters TEXT NOT NULL CHECK (json_valid(parameters)),
    summary TEXT CHECK (summary IS NULL OR json_valid(summary)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Every match: the training item (item_kind, item_id: a problem, solution, test or seed),
-- the problem it belongs to (NULL for a seed no problem was made from), the benchmark item,
-- the kind of match (substring: a normalized benchmark docstring or solution inside the
-- item; ngram: a shared word n-gram) and the matched text.
CREATE TABLE contamination_matches (
    id INTEGER PRIMARY KEY,
    decontamination_run_id INTEGER NOT NULL REFERENCES decontamination_runs (id),
    item_kind TEXT NOT NULL CHECK (item_kind IN ('problem', 'solution', 'test', 'seed')),
    item_id INTEGER NOT NULL,
    problem_id INTEGER REFERENCES problems (id),
    benchmark_item_id INTEGER NOT NULL REFERENCES benchmark_items (id),
    match TEXT NOT NULL CHECK (match IN ('substring', 'ngram')),
    matched_text TEXT NOT NULL
);
CREATE INDEX contamination_matches_by_run ON contamination_matches (decontamination_run_id, problem_id);

-- Problems with a match in the latest decontamination run (in the problem, its solutions or
-- tests, or the seed it was made from): what pairs and export leave out.
CREATE VIEW contaminated_problems AS
SELECT m.problem_id
FROM contamination_matches m
WHERE m.problem_id IS NOT NULL
  AND m.decontamination_run_id = (SELECT max(id) FROM decontamination_runs)
UNION
SELECT p.id
FROM contamination_matches m
JOIN problems p ON p.seed_id = m.item_id
WHERE m.item_kind = 'seed'
  AND m.decontamination_run_id = (SELECT max(id) FROM decontamination_runs);

-- One `eval models`: models' pass@k on benchmark problems, with its parameters (models, k,
-- execution config, benchmarks) and results (per model, benchmark, test set and k).
CREATE TABLE model_evaluations (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    config_id INTEGER NOT NULL REFERENCES execution_configs (id),
    parameters TEXT NOT NULL CHECK (json_valid(parameters)),
    results TEXT NOT NULL CHECK (json_valid(results)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
