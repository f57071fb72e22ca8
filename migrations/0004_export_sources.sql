-- Exports of reinforcement-learning data (codedpo export --format grpo|verl|openrlhf-rl):
-- problems with the trusted tests of a score run, so an export may have no pair set. Every
-- export now names its score run; the format list grows by the three RL formats. SQLite
-- cannot change a column's constraints in place: the table is rebuilt, keeping every row.
ALTER TABLE exports RENAME TO exports_before_0004;

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

INSERT INTO exports (id, run_id, pair_set_id, score_run_id, format, split, path, count, sha256, manifest, created_at)
SELECT x.id, x.run_id, x.pair_set_id, ps.score_run_id, x.format, x.split, x.path, x.count, x.sha256, x.manifest, x.created_at
FROM exports_before_0004 x LEFT JOIN pair_sets ps ON ps.id = x.pair_set_id;

DROP TABLE exports_before_0004;
