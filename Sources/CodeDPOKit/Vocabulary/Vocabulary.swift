// # Vocabulary: what more than one stage says
//
// Stages (Ingest, Generation, Execution, Scoring, Efficiency, Pairs, Export, Evaluation, Merge,
// Decontamination) know Store, Support, Output and this folder, never each other's types
// (`Tests/CodeDPOKitTests/LayeringTests.swift` fails when one does). What two stages both need
// lives here, under one name:
//
// | file | what |
// |---|---|
// | VerdictStatus.swift | pass, fail, error, timeout, memory, crash, load_error |
// | Records.swift | TestKind (generated, ground_truth), the interchange records (problem, solution, test, seed) |
// | Normalize.swift | the normalization and content hash that make identity by content |
// | ContentCatalog.swift | writes problems, solutions, tests and seeds by content hash, with one provenance row per source (import and generate both write through it) |
// | Shard.swift | a deterministic slice of the problems (`--shard I/N`) |
// | ExecutionSettings.swift | an execution config (interpreter, isolation, limits) and its id |
// | WorkerProcess.swift | the sandboxed Python worker Execution (verdicts) and Efficiency (timings) drive; `Verdict` is one answer of it |
// | ScoreRunRecord.swift | a score run as later stages read it |
// | TrustedTests.swift | a score run's trusted tests (the top solution's passed tests): efficiency times on them, RL exports carry them |
// | RunLog.swift | run recording: every command that changes data is a row in `runs` |
// | Statistics.swift | rank correlations and medians used by scoring, efficiency and evaluation |
// | ContaminationFilter.swift | which problems the latest `decontaminate` flagged, for pairs and export |
//
// Above the stages sit the composers, which may name any stage: Pipeline (`run --config`),
// Bench (benchmarks of stages), Report (reads every stage's results; writes nothing) and the
// CLI (`Sources/codedpo`).
