import Foundation

/// One `codedpo efficiency` (or a pipeline's efficiency step): what to time and how, as the
/// flags give it. `options()` is the one translation to EfficiencyOptions, whose JSON is how
/// `run --config` recognizes a finished efficiency run.
public struct EfficiencyRequest: Sendable {
    /// The score run whose top solutions define the trusted tests.
    public var scoreRun: Int64
    public var repeatCount = 5
    /// Seconds one measurement takes at least (`--min-seconds`; `--scale` is its old name).
    public var minSeconds = 0.02
    public var maxNoise = 0.1
    /// auto, instructions or cpu_time.
    public var method = "auto"
    public var seed: UInt64 = 0
    public var problems: [String] = []
    /// I/N.
    public var shard: String?

    public init(scoreRun: Int64) { self.scoreRun = scoreRun }

    public func options() throws -> EfficiencyOptions {
        if repeatCount < 1 { throw UsageError("--repeat must be >= 1") }
        if minSeconds <= 0 { throw UsageError("--min-seconds must be > 0 seconds") }
        guard let method = EfficiencyMethod(rawValue: method) else {
            throw UsageError("--method is \(EfficiencyMethod.allCases.map(\.rawValue).joined(separator: ", ")), not \(self.method)")
        }
        var options = EfficiencyOptions()
        options.repeatCount = repeatCount
        options.minSeconds = minSeconds
        options.maxNoise = maxNoise
        options.method = method
        options.seed = seed
        options.problems = problems
        if let shard {
            guard let parsed = Shard(shard) else { throw UsageError("--shard takes I/N, e.g. 0/4") }
            options.shard = parsed
        }
        return options
    }

    /// Times, recorded as one run with the command line `argv`.
    public func run(db: Database, argv: [String], progress: (Int, Int) -> Void = { _, _ in },
                    shouldStop: () -> Bool = { false }) throws -> EfficiencyReport {
        let options = try options()
        return try RunLog(db).record(command: "efficiency", argv: argv, parameters: .object([
            ("score_run", .int(scoreRun)), ("options", options.json),
        ]), summary: { $0.json }) { runID in
            try EfficiencyRunner(db: db, runID: runID).run(scoreRun: scoreRun, options: options, progress: progress, shouldStop: shouldStop)
        }
    }
}
