import Foundation

/// One `codedpo pairs` (or a pipeline's pairs step). `policy()` is the one translation from
/// flags to a PairPolicy, which is stored with the set and is how `run --config` recognizes a
/// set already built.
public struct PairsRequest: Sendable {
    public var name: String
    public var scoreRun: Int64
    public var efficiencyRun: Int64?
    public var minMargin = 0.0
    public var pairsPerProblem = 1
    public var allowNoPass = false
    public var minSpeedup = 1.1
    public var noiseFactor = 1.0
    public var efficiencyOnly = false
    /// Keep problems that `codedpo decontaminate` found in a benchmark.
    public var allowContaminated = false

    public init(name: String, scoreRun: Int64) {
        self.name = name
        self.scoreRun = scoreRun
    }

    public func policy() throws -> PairPolicy {
        if !(0...1).contains(minMargin) { throw UsageError("--min-margin is a share of the score range, from 0 to 1") }
        if pairsPerProblem < 1 { throw UsageError("--pairs-per-problem must be >= 1") }
        if minSpeedup < 1 { throw UsageError("--min-speedup must be >= 1") }
        if efficiencyOnly && efficiencyRun == nil { throw UsageError("--efficiency-only needs --efficiency-run") }
        var policy = PairPolicy()
        policy.minMargin = minMargin
        policy.pairsPerProblem = pairsPerProblem
        policy.chosenMustPass = !allowNoPass
        policy.minSpeedup = minSpeedup
        policy.noiseFactor = noiseFactor
        policy.correctness = !efficiencyOnly
        policy.efficiency = efficiencyRun != nil
        policy.allowContaminated = allowContaminated
        return policy
    }

    /// Builds the set, recorded as one run with the command line `argv`.
    public func run(db: Database, argv: [String]) throws -> PairSetReport {
        let policy = try policy()
        return try RunLog(db).record(command: "pairs", argv: argv, parameters: .object([
            ("name", .string(name)), ("score_run", .int(scoreRun)), ("efficiency_run", JSON(efficiencyRun)), ("policy", policy.json),
        ]), summary: { $0.summary }) { runID in
            try PairBuilder(db: db, runID: runID).build(name: name, scoreRun: scoreRun, efficiencyRun: efficiencyRun, policy: policy)
        }
    }
}
