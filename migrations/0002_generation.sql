-- Generation (codedpo generate): every request numbered, every answer's yield recorded.

-- slot is the number of a request among the requests of its stage for one problem (or
-- seed): unique, so no two requests are ever recorded as the same one, however runs are
-- killed, resumed or run side by side.
CREATE UNIQUE INDEX generations_by_slot
    ON generations (stage, ifnull(problem_id, 0), ifnull(seed_id, 0), slot);

-- What each choice yielded: items is the number of problems, solutions or tests taken from
-- it; details (JSON) says how it was parsed and, for tests, which asserts were dropped and why.
ALTER TABLE generation_outputs ADD COLUMN items INTEGER NOT NULL DEFAULT 0 CHECK (items >= 0);
ALTER TABLE generation_outputs ADD COLUMN details TEXT CHECK (details IS NULL OR json_valid(details));

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
