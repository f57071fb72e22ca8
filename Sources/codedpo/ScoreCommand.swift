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
    case softB4Outcomes = "soft-b4-outcomes"
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
              b4               B4 (ASE 2024): each distinct pass pattern is a hypothesis scored by
                               its log Beta-Bernoulli posterior; --alpha (1e3), --beta0 (1e4; the
                               paper tries 1e4,1e5,1e6; a comma list makes a grid)
              mbr-exec         MBR-exec: samples with the identical pass pattern (B4's baseline;
                               B4's other baseline, MaxPass, is pass-count)
              soft-b4-outcomes codedpo's: soft-b4's hypotheses, and among solutions tied there the
                               ones whose outcome on every test (pass, or how it failed) the most
                               samples share first; best top-1 on the dev data (README)
            Retired (still scored by name, not by --all-strategies; beaten by soft-b4-outcomes):
              consensus        soft dual agreement: support from every solution in proportion to
                               Jaccard(pass sets)^gamma (--gamma, 4), score = tests passed x sqrt(support)
              soft-b4          B4 with consensus's soft support (--gamma) and no hypothesis that
                               passes nothing
            Sample multiplicity counts: a solution sampled k times weighs as k samples.

            Examples:
              codedpo score --strategy self-validation
              codedpo score --strategy self-validation --damping 0.5,0.85,0.95 --iterations 5,10   # a grid
              codedpo score --all-strategies --execution-config 2
              codedpo score --strategy random --seed 7
              codedpo score --strategy b4 --beta0 1e4,1e5,1e6                              # the paper's grid
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(name: .long, help: "Strategy: self-validation, codet, pass-count, all-tests, random, b4, mbr-exec, soft-b4-outcomes (retired: consensus, soft-b4).")
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

    @Option(name: .long, help: "Similarity exponent of soft-b4-outcomes, soft-b4 and consensus (large: exact pass patterns only).")
    var gamma = 4.0

    @Option(name: .long, help: "B4's prior alpha on the shares of correct tests and samples (b4, soft-b4-outcomes, soft-b4).")
    var alpha = 1e3

    @Option(name: .long, help: "B4's prior beta0 against wrong code passing wrong tests (b4, soft-b4-outcomes, soft-b4); a comma list makes a grid.")
    var beta0 = "1e4"

    @Option(name: .long, help: "Seed of the random strategy.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Execution config (its id) whose verdicts are scored (default: the latest with verdicts).")
    var executionConfig: Int64?

    // The old name of --execution-config, kept working for scripts that use it.
    @Option(name: .customLong("config"), help: .hidden)
    var legacyConfig: Int64?

    @OptionGroup var output: FormatOptions

    /// The flags as a library request (the pipeline builds the same from a config).
    var request: ScoreRequest {
        var request = ScoreRequest()
        request.strategy = strategy?.rawValue
        request.allStrategies = allStrategies
        request.damping = damping
        request.iterations = iterations
        request.tolerance = tolerance
        request.noMultiplicity = noMultiplicity
        request.gamma = gamma
        request.seed = seed
        request.alpha = alpha
        request.beta0 = beta0
        request.executionConfig = executionConfig ?? legacyConfig
        return request
    }

    func run() throws {
        let request = request
        _ = try request.strategies()
        let reports = try request.run(db: try database.openForWriting(), argv: CommandLine.arguments)
        let writer = RowWriter(format: output.format, columns: ["score_run", "strategy", "parameters", "config", "problems", "no_tests", "one_solution", "iterations", "rows", "seconds"],
                               sink: StandardOutput(), maxWidth: 70)
        for report in reports {
            writer.add([.integer(report.scoreRunID), .text(report.strategy), .text(report.parameters.text), .integer(report.configID),
                        .integer(Int64(report.problemsScored)), .integer(Int64(report.problemsWithoutTests)),
                        .integer(Int64(report.problemsWithOneSolution)), .integer(Int64(report.finalIteration)),
                        .integer(Int64(report.rows)), .real(report.seconds)])
        }
        writer.finish()
        if let missing = reports.first?.missingVerdicts, missing > 0, let configID = reports.first?.configID {
            Terminal.note("\(missing) (solution, generated test) pairs have no verdict under config \(configID) and were read as not passing: run `codedpo execute` to complete them")
        }
    }
}
