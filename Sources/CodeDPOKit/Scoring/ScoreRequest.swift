import Foundation

/// One `codedpo score` (or a pipeline's score step): the strategies and parameters asked for,
/// as the flags give them. `strategies()` is the one translation from flags to strategies, so
/// the CLI and `run --config` (which reuses a score run with the same strategy and parameters)
/// agree on what a request means.
public struct ScoreRequest: Sendable, Equatable {
    /// One of `strategyNames`.
    public var strategy: String?
    public var allStrategies = false
    /// Comma lists make a grid.
    public var damping = "0.85"
    public var iterations = "10"
    public var tolerance: Double?
    public var noMultiplicity = false
    public var gamma = 4.0
    public var seed: UInt64 = 0
    /// B4's priors (b4, soft-b4-outcomes, soft-b4): alpha on the shares of correct tests and samples, beta0
    /// (a comma list makes a grid) against a wrong sample passing a wrong test.
    public var alpha = 1e3
    public var beta0 = "1e4"
    /// The execution config whose verdicts are scored; nil: the latest with verdicts.
    public var executionConfig: Int64?

    /// Every strategy, in the order `--all-strategies` runs them.
    public static let strategyNames = ["self-validation", "codet", "pass-count", "all-tests", "random", "b4", "mbr-exec", "soft-b4-outcomes"]
    /// Retired: beaten on every development dataset by `soft-b4-outcomes` (README, "Ranking
    /// strategies on real data"). Still scored by name, for existing pipelines and pair sets;
    /// `--all-strategies` no longer runs them.
    public static let retiredStrategyNames = ["consensus", "soft-b4"]

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
        let beta0s = try beta0.split(separator: ",").map { text -> Double in
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value > 0, value.isFinite else {
                throw UsageError("--beta0 takes positive numbers, e.g. 1e4 or 1e4,1e5,1e6")
            }
            return value
        }
        guard alpha > 0, alpha.isFinite else { throw UsageError("--alpha takes a positive number, e.g. 1e3") }
        let b4 = beta0s.map { B4(alpha: alpha, beta0: $0, multiplicity: !noMultiplicity) as ScoringStrategy }
        let softB4 = beta0s.map { SoftB4(alpha: alpha, beta0: $0, gamma: gamma, multiplicity: !noMultiplicity) as ScoringStrategy }
        let softB4Outcomes = beta0s.map { SoftB4Outcomes(alpha: alpha, beta0: $0, gamma: gamma, multiplicity: !noMultiplicity) as ScoringStrategy }
        let selfValidation = dampings.flatMap { d in
            counts.map { SelfValidation(damping: d, iterations: $0, tolerance: tolerance, multiplicity: !noMultiplicity) as ScoringStrategy }
        }
        if allStrategies {
            return selfValidation + [DualAgreement(), PassCount(), AllTests(), RandomScores(seed: seed)] + b4
                + [MBRExec(multiplicity: !noMultiplicity)] + softB4Outcomes
        }
        switch strategy {
        case "self-validation": return selfValidation
        case "codet": return [DualAgreement()]
        case "pass-count": return [PassCount()]
        case "all-tests": return [AllTests()]
        case "random": return [RandomScores(seed: seed)]
        case "consensus": return [Consensus(gamma: gamma, multiplicity: !noMultiplicity)]
        case "b4": return b4
        case "mbr-exec": return [MBRExec(multiplicity: !noMultiplicity)]
        case "soft-b4": return softB4
        case "soft-b4-outcomes": return softB4Outcomes
        case nil: throw UsageError("choose --strategy NAME or --all-strategies")
        case let other?: throw UsageError("--strategy \(other) is not a strategy; the strategies are \((Self.strategyNames + Self.retiredStrategyNames).joined(separator: ", "))")
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
