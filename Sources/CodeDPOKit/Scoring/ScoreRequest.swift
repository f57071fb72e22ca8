import Foundation

/// One `codedpo score` (or a pipeline's score step): the strategies and parameters asked for,
/// as the flags give them. `strategies()` is the one translation from flags to strategies, so
/// the CLI and `run --config` (which reuses a score run with the same strategy and parameters)
/// agree on what a request means.
public struct ScoreRequest: Sendable, Equatable {
    /// self-validation, codet, pass-count, all-tests, random or consensus.
    public var strategy: String?
    public var allStrategies = false
    /// Comma lists make a grid.
    public var damping = "0.85"
    public var iterations = "10"
    public var tolerance: Double?
    public var noMultiplicity = false
    public var gamma = 4.0
    public var seed: UInt64 = 0
    /// The execution config whose verdicts are scored; nil: the latest with verdicts.
    public var executionConfig: Int64?

    public static let strategyNames = ["self-validation", "codet", "pass-count", "all-tests", "random", "consensus"]

    public init() {}

    public func strategies() throws -> [ScoringStrategy] {
        let dampings = try damping.split(separator: ",").map { text -> Double in
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value > 0, value <= 1 else {
                throw UsageError("--damping takes numbers in (0, 1], e.g. 0.85 or 0.5,0.85")
            }
            return value
        }
        let counts = try iterations.split(separator: ",").map { text -> Int in
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= 1, value <= 10_000 else {
                throw UsageError("--iterations takes whole numbers from 1 to 10000, e.g. 10 or 5,10,20")
            }
            return value
        }
        let selfValidation = dampings.flatMap { d in
            counts.map { SelfValidation(damping: d, iterations: $0, tolerance: tolerance, multiplicity: !noMultiplicity) as ScoringStrategy }
        }
        if allStrategies {
            return selfValidation + [DualAgreement(), PassCount(), AllTests(), RandomScores(seed: seed),
                                     Consensus(gamma: gamma, multiplicity: !noMultiplicity)]
        }
        switch strategy {
        case "self-validation": return selfValidation
        case "codet": return [DualAgreement()]
        case "pass-count": return [PassCount()]
        case "all-tests": return [AllTests()]
        case "random": return [RandomScores(seed: seed)]
        case "consensus": return [Consensus(gamma: gamma, multiplicity: !noMultiplicity)]
        case nil: throw UsageError("choose --strategy NAME or --all-strategies")
        case let other?: throw UsageError("--strategy \(other) is not a strategy; the strategies are \(Self.strategyNames.joined(separator: ", "))")
        }
    }

    /// The execution config this request scores: its own, else the latest with verdicts.
    public func resolvedExecutionConfig(_ db: Database) throws -> Int64? {
        if let executionConfig { return executionConfig }
        return try MatrixLoader.latestConfig(db)
    }

    /// Scores, one score run per strategy, recorded as one run with the command line `argv`.
    public func run(db: Database, argv: [String]) throws -> [ScoreRunReport] {
        let chosen = try strategies()
        guard let configID = try resolvedExecutionConfig(db) else {
            throw StoreError("no verdicts to score yet: run `codedpo execute` first")
        }
        return try RunLog(db).record(command: "score", argv: argv, parameters: .object([
            ("config_id", .int(configID)), ("strategies", .array(chosen.map { .object([("strategy", .string($0.name)), ("parameters", $0.parameters)]) })),
        ]), summary: { .array($0.map(\.json)) }) { runID in
            try chosen.map { try ScoreRunner(db: db, runID: runID, configID: configID).run($0) }
        }
    }
}
