import ArgumentParser
import CodeDPOKit
import Foundation

/// The strategies by their CLI names.
enum StrategyName: String, CaseIterable, ExpressibleByArgument {
    case selfValidation = "self-validation"
    case codet
    case passCount = "pass-count"
    case allTests = "all-tests"
    case random
    case consensus
    case b4
    case mbrExec = "mbr-exec"
    case softB4 = "soft-b4"
}

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Rank solutions and tests from stored verdicts: a new score run, every iteration kept.",
        discussion: """
            Scoring reads verdicts only and never executes code, so re-scoring with other \
            parameters is cheap. Each strategy and parameter set is a new score run (old ones stay); \
            `scores` stores every solution's and test's score at every iteration (0 = initial).

            Strategies:
              self-validation  CodeDPO: PageRank-like on the pass graph; tests updated first, then
                               codes; --damping (0.85), --iterations (10), --tolerance (stop early)
              codet            CodeT's dual agreement: (tests passed) x sqrt(consensus group size)
              pass-count       number of generated tests passed (the paper's sort baseline)
              all-tests        1 if every generated test passes, else 0 (the paper's filter)
              random           seeded uniform scores (--seed), the floor every ranking must beat
              consensus        codedpo's soft dual agreement: support from every solution in
                               proportion to Jaccard(pass sets)^gamma (--gamma, 4), score =
                               tests passed x sqrt(support)
              b4               B4 (ASE 2024): each distinct pass pattern is a hypothesis scored by
                               its log Beta-Bernoulli posterior; --alpha (1e3), --beta0 (1e4; the
                               paper tries 1e4,1e5,1e6; a comma list makes a grid)
              mbr-exec         MBR-exec: samples with the identical pass pattern (B4's baseline;
                               B4's other baseline, MaxPass, is pass-count)
              soft-b4          codedpo's: B4 with consensus's soft support (--gamma) and no
                               hypothesis that passes nothing; best top-1 on the dev data (README)
            Sample multiplicity counts: a solution sampled k times weighs as k samples.

            Examples:
              codedpo score --strategy self-validation
              codedpo score --strategy self-validation --damping 0.5,0.85,0.95 --iterations 5,10   # a grid
              codedpo score --all-strategies --config 2
              codedpo score --strategy random --seed 7
              codedpo score --strategy b4 --beta0 1e4,1e5,1e6                              # the paper's grid
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(name: .long, help: "Strategy: self-validation, codet, pass-count, all-tests, random, consensus, b4, mbr-exec, soft-b4.")
    var strategy: StrategyName?

    @Flag(name: .long, help: "One score run per strategy, with default parameters.")
    var allStrategies = false

    @Option(name: .long, help: "Damping d of self-validation; a comma list makes a grid.")
    var damping = "0.85"

    @Option(name: .long, help: "Iterations of self-validation; a comma list makes a grid.")
    var iterations = "10"

    @Option(name: .long, help: "Stop self-validation early once the ranking is stable within this relative change.")
    var tolerance: Double?

    @Flag(name: .long, help: "Count each distinct solution and test once, ignoring how often it was sampled.")
    var noMultiplicity = false

    @Option(name: .long, help: "Similarity exponent of consensus and soft-b4 (large: exact pass patterns only).")
    var gamma = 4.0

    @Option(name: .long, help: "B4's prior alpha on the shares of correct tests and samples (b4, soft-b4).")
    var alpha = 1e3

    @Option(name: .long, help: "B4's prior beta0 against wrong code passing wrong tests (b4, soft-b4); a comma list makes a grid.")
    var beta0 = "1e4"

    @Option(name: .long, help: "Seed of the random strategy.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Execution config whose verdicts are scored (default: the latest with verdicts).")
    var config: Int64?

    @OptionGroup var output: FormatOptions

    func strategies() throws -> [ScoringStrategy] {
        let dampings = try damping.split(separator: ",").map { text -> Double in
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value > 0, value <= 1 else {
                throw ValidationError("--damping takes numbers in (0, 1], e.g. 0.85 or 0.5,0.85")
            }
            return value
        }
        let counts = try iterations.split(separator: ",").map { text -> Int in
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= 1, value <= 10_000 else {
                throw ValidationError("--iterations takes whole numbers from 1 to 10000, e.g. 10 or 5,10,20")
            }
            return value
        }
        let beta0s = try beta0.split(separator: ",").map { text -> Double in
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value > 0, value.isFinite else {
                throw ValidationError("--beta0 takes positive numbers, e.g. 1e4 or 1e4,1e5,1e6")
            }
            return value
        }
        guard alpha > 0, alpha.isFinite else { throw ValidationError("--alpha takes a positive number, e.g. 1e3") }
        let b4 = beta0s.map { B4(alpha: alpha, beta0: $0, multiplicity: !noMultiplicity) as ScoringStrategy }
        let softB4 = beta0s.map { SoftB4(alpha: alpha, beta0: $0, gamma: gamma, multiplicity: !noMultiplicity) as ScoringStrategy }
        let selfValidation = dampings.flatMap { d in
            counts.map { SelfValidation(damping: d, iterations: $0, tolerance: tolerance, multiplicity: !noMultiplicity) as ScoringStrategy }
        }
        if allStrategies {
            return selfValidation + [DualAgreement(), PassCount(), AllTests(), RandomScores(seed: seed),
                                     Consensus(gamma: gamma, multiplicity: !noMultiplicity)] + b4
                + [MBRExec(multiplicity: !noMultiplicity)] + softB4
        }
        switch strategy {
        case .selfValidation: return selfValidation
        case .codet: return [DualAgreement()]
        case .passCount: return [PassCount()]
        case .allTests: return [AllTests()]
        case .random: return [RandomScores(seed: seed)]
        case .consensus: return [Consensus(gamma: gamma, multiplicity: !noMultiplicity)]
        case .b4: return b4
        case .mbrExec: return [MBRExec(multiplicity: !noMultiplicity)]
        case .softB4: return softB4
        case nil: throw ValidationError("choose --strategy NAME or --all-strategies")
        }
    }

    func run() throws {
        let chosen = try strategies()
        let db = try database.openForWriting()
        guard let configID = try config ?? MatrixLoader.latestConfig(db) else {
            throw StoreError("no verdicts to score yet: run `codedpo execute` first")
        }
        let reports = try RunLog(db).record(command: "score", argv: Invocation.arguments, parameters: .object([
            ("config_id", .int(configID)), ("strategies", .array(chosen.map { .object([("strategy", .string($0.name)), ("parameters", $0.parameters)]) })),
        ]), summary: { .array($0.map(\.json)) }) { runID in
            try chosen.map { try ScoreRunner(db: db, runID: runID, configID: configID).run($0) }
        }
        let writer = RowWriter(format: output.format, columns: ["score_run", "strategy", "parameters", "config", "problems", "no_tests", "one_solution", "iterations", "rows", "seconds"],
                               sink: StandardOutput(), maxWidth: 70)
        for report in reports {
            writer.add([.integer(report.scoreRunID), .text(report.strategy), .text(report.parameters.text), .integer(report.configID),
                        .integer(Int64(report.problemsScored)), .integer(Int64(report.problemsWithoutTests)),
                        .integer(Int64(report.problemsWithOneSolution)), .integer(Int64(report.finalIteration)),
                        .integer(Int64(report.rows)), .real(report.seconds)])
        }
        writer.finish()
        if let missing = reports.first?.missingVerdicts, missing > 0 {
            Terminal.note("\(missing) (solution, generated test) pairs have no verdict under config \(configID) and were read as not passing: run `codedpo execute` to complete them")
        }
    }
}

struct ScoreRunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score-runs",
        abstract: "List the score runs.",
        discussion: """
            Examples:
              codedpo score-runs
              codedpo score-runs --format json
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        let db = try database.openForReading()
        let statement = try db.prepare("""
            SELECT id AS score_run, strategy, parameters, config_id AS config, test_kind, final_iteration,
                   problems_scored AS problems, run_id AS run, created_at
            FROM score_runs ORDER BY id
            """)
        let writer = RowWriter(format: output.format, columns: statement.columnNames, sink: StandardOutput(), maxWidth: 70)
        try statement.forEachRow { row in writer.add((0..<row.columnCount).map { row.value(at: $0) }) }
        writer.finish()
    }
}

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "How much two score runs agree, and which ranks better: top-1 agreement, correlations, top-1 difference.",
        discussion: """
            Per problem: does the first solution of run A rank first in run B too, and how do the \
            two score vectors correlate; averaged over the problems both scored. When both runs \
            have every ground-truth verdict (`codedpo eval` runs them), also each run's top-1 pass \
            rate and their paired difference (A - B) with a bootstrap 95% interval over the \
            problems (--resamples, --seed): "not distinguishable" when it contains 0.

            Examples:
              codedpo compare 1 2
              codedpo compare 1 2 --format json
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The first score run.") var first: Int64
    @Argument(help: "The second score run.") var second: Int64
    @Option(name: .long, help: "Bootstrap resamples for the interval of the top-1 difference.") var resamples = 10_000
    @Option(name: .long, help: "Seed of the bootstrap (same seed, same interval).") var seed: UInt64 = 0
    @OptionGroup var output: FormatOptions

    func validate() throws {
        guard resamples >= 100 && resamples <= 1_000_000 else { throw ValidationError("--resamples takes 100 to 1000000, e.g. 10000") }
    }

    func run() throws {
        let db = try database.openForReading()
        let result = try Comparison.compare(db, first, second, bootstrap: Bootstrap(resamples: resamples, seed: seed))
        let writer = RowWriter(format: output.format, columns: ["score_runs", "problems", "top1_agreement", "spearman", "kendall_tau_b",
                                                                 "top1_first", "top1_second", "top1_difference", "low", "high", "verdict"], sink: StandardOutput())
        let interval = result.topDifference?.interval
        writer.add([.text("\(first) vs \(second)"), .integer(Int64(result.problems)), .real(result.topAgreement),
                    result.spearman.map { .real($0) } ?? .null, result.kendall.map { .real($0) } ?? .null,
                    result.topPassRates.map { .real($0.first) } ?? .null, result.topPassRates.map { .real($0.second) } ?? .null,
                    interval.map { .real($0.difference) } ?? .null, interval.map { .real($0.low) } ?? .null, interval.map { .real($0.high) } ?? .null,
                    .text(interval?.verdict("score run \(first)", "score run \(second)") ?? "no ground truth")])
        writer.finish()
        if result.topDifference == nil {
            Terminal.note("no top-1 difference: run `codedpo eval --score-run \(first) --score-run \(second)` first to execute the ground-truth tests")
        }
    }
}
