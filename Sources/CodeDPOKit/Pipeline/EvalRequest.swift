import Foundation

/// One `codedpo eval` (or a pipeline's eval step): score runs held against ground-truth tests.
/// It composes two stages (the ground-truth verdicts a score run's execution config still
/// lacks are executed first, unless `noExecute`), so it lives here, above the stages.
public struct EvalRequest: Sendable {
    /// Empty: every score run.
    public var scoreRuns: [Int64] = []
    public var noExecute = false
    public var jobs = ProcessInfo.processInfo.activeProcessorCount

    public init() {}

    /// Executes missing ground-truth verdicts (one recorded `execute` run per execution config,
    /// with the command line `argv`), then evaluates. `note` gets messages for people.
    public func run(database path: String, argv: [String], note: (String) -> Void = { _ in },
                    progress: (ExecuteProgress) -> Void = { _ in }, shouldStop: @escaping () -> Bool = { false }) throws -> [EvaluationReport] {
        var db = try Workspace.openForReading(path: path)
        let runs = scoreRuns.isEmpty ? try db.rows("SELECT id FROM score_runs ORDER BY id").compactMap { $0[0].int64 } : scoreRuns
        guard !runs.isEmpty else { throw StoreError("no score runs yet: run `codedpo score` first") }
        var evaluator = Evaluator(db: db)
        // Ground-truth verdicts each config still needs, run once per config.
        var configsToRun: [Int64: Int] = [:]
        for id in runs {
            let missing = try evaluator.missingGroundTruth(scoreRun: id)
            if missing > 0 { configsToRun[try evaluator.scoreRun(id).configID, default: 0] += missing }
        }
        if !configsToRun.isEmpty && !noExecute {
            let writable = try Workspace.openForWriting(path: path, notice: note)
            for (configID, _) in configsToRun.sorted(by: { $0.key < $1.key }) {
                var options = ExecuteOptions(settings: try ExecutionSettings.load(configID: configID, from: writable))
                options.testKinds = [.groundTruth]
                options.jobs = jobs
                note("running ground-truth tests under config \(configID) first")
                let log = RunLog(writable)
                let runID = try log.start(command: "execute", argv: argv,
                                          parameters: .object([("for", "eval"), ("config_id", .int(configID)), ("tests", JSON(["ground_truth"]))]))
                let report: ExecuteReport
                do {
                    report = try Executor(db: writable, runID: runID, options: options).run(progress: progress, shouldStop: shouldStop)
                } catch {
                    try? log.finish(runID, status: .failed, error: String(describing: error))
                    throw error
                }
                try log.finish(runID, status: report.interrupted ? .interrupted : .ok, summary: report.json)
                if report.interrupted { throw Interrupted() }
            }
            db = try Workspace.openForReading(path: path)
            evaluator = Evaluator(db: db)  // the ground truth it summed has changed
        }
        // One evaluator for every run: each config's ground truth is summed once.
        return try runs.map { try evaluator.evaluate(scoreRun: $0) }
    }
}
