-- Benchmarks: kept out of the training data (decontaminate), and models measured on them
-- (eval models).

-- Which ground-truth test set a test belongs to: 'base' (the benchmark's own tests, or
-- HumanEval+/MBPP+ base_input) or 'plus' (HumanEval+/MBPP+ plus_input). NULL for tests that
-- belong to no benchmark test set (read as 'base' by eval models).
ALTER TABLE tests ADD COLUMN test_set TEXT CHECK (test_set IS NULL OR test_set IN ('base', 'plus'));

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
