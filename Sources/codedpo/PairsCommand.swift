import ArgumentParser
import CodeDPOKit
import Foundation

struct PairsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pairs",
        abstract: "Build a named set of preference pairs, or show one pair.",
        subcommands: [PairsBuild.self, PairsShow.self],
        defaultSubcommand: PairsBuild.self
    )
}

struct PairsBuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a pair set from a score run (correctness) and an efficiency run (speed).",
        discussion: """
            Correctness pairs (the paper's): per problem the top-scored solution is chosen, the \
            bottom-scored rejected; --pairs-per-problem K pairs the i-th best with the i-th worst. \
            A pair needs a real margin (scores tied everywhere give none), a chosen that passes at \
            least one test, and two programs that differ beyond comments and spacing. Efficiency \
            pairs: among solutions that pass every trusted test, the fastest is chosen and the \
            slowest rejected when it is at least --min-speedup times slower and the gap exceeds \
            the measured noise. The policy is stored with the set; problems without a pair are \
            counted by reason.

            Examples:
              codedpo pairs --score-run 6 --name codet-v1
              codedpo pairs --score-run 6 --efficiency-run 1 --name v1 --pairs-per-problem 3 --min-margin 0.2
              codedpo pairs show --pair-set v1 --problem HumanEval/12
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Option(name: .long, help: "The score run the correctness pairs come from.") var scoreRun: Int64
    @Option(name: .long, help: "An efficiency run for speed pairs.") var efficiencyRun: Int64?
    @Option(name: .long, help: "A name for the pair set (unique; sets are never overwritten).") var name: String
    @Option(name: .long, help: "Minimum score margin, as a share of the problem's score range (0-1).") var minMargin = 0.0
    @Option(name: .long, help: "Pairs per problem: top-k against bottom-k, no solution reused.") var pairsPerProblem = 1
    @Flag(name: .long, help: "Allow a chosen solution that passes no generated test.") var allowNoPass = false
    @Option(name: .long, help: "Efficiency: the slower must take at least this many times as long.") var minSpeedup = 1.1
    @Option(name: .long, help: "Efficiency: the gap must exceed this many times the summed spreads.") var noiseFactor = 1.0
    @Flag(name: .long, help: "Only efficiency pairs.") var efficiencyOnly = false
    @Flag(name: .long, help: "Keep problems that `codedpo decontaminate` found in a benchmark (left out by default).") var allowContaminated = false
    @OptionGroup var output: FormatOptions

    /// The flags as a library request (the pipeline builds the same from a config).
    var request: PairsRequest {
        var request = PairsRequest(name: name, scoreRun: scoreRun)
        request.efficiencyRun = efficiencyRun
        request.minMargin = minMargin
        request.pairsPerProblem = pairsPerProblem
        request.allowNoPass = allowNoPass
        request.minSpeedup = minSpeedup
        request.noiseFactor = noiseFactor
        request.efficiencyOnly = efficiencyOnly
        request.allowContaminated = allowContaminated
        return request
    }

    func validate() throws {
        try usage { _ = try request.policy() }
    }

    func run() throws {
        let report = try request.run(db: try database.openForWriting(), argv: CommandLine.arguments)
        if output.format == .json || output.format == .jsonl {
            let json = JSON.object([("pair_set", .int(report.pairSetID)), ("name", .string(name)), ("summary", report.summary)])
            print(output.format == .json ? json.prettyText : json.text)
            return
        }
        print("pair set \"\(name)\" (id \(report.pairSetID)): \(report.correctnessPairs) correctness and \(report.efficiencyPairs) efficiency pairs from \(report.problems) problems")
        let writer = RowWriter(format: output.format, columns: ["no_pair_reason", "problems"], sink: StandardOutput())
        for (reason, count) in report.reasons.sorted(by: { $0.key < $1.key }) { writer.add([.text(reason), .integer(Int64(count))]) }
        if !report.reasons.isEmpty { writer.finish() }
        print("next: codedpo export --pair-set \(name) --format trl --out \(name).jsonl")
    }
}

struct PairsShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show pairs side by side, with why the chosen won: scores, tests passed, timings.",
        discussion: """
            Examples:
              codedpo pairs show --pair-set v1 --problem HumanEval/12
              codedpo pairs show --pair 42
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Option(name: .long, help: "A pair id.") var pair: Int64?
    @Option(name: .long, help: "A pair set name (with --problem, or the first pairs of the set).") var pairSet: String?
    @Option(name: .long, help: "Only pairs of this problem (external id).") var problem: String?
    @Option(name: .long, help: "Show at most this many pairs.") var limit = 3
    @Option(name: .long, help: "Width of each code column.") var width = 60
    @OptionGroup var output: FormatOptions

    func validate() throws {
        if pair == nil && pairSet == nil { throw ValidationError("give --pair ID, or --pair-set NAME (optionally with --problem)") }
    }

    func run() throws {
        let db = try database.openForReading()
        let ids: [Int64]
        if let pair {
            ids = [pair]
        } else {
            ids = try db.rows("""
                SELECT pr.id FROM pairs pr JOIN pair_sets ps ON ps.id = pr.pair_set_id JOIN problems p ON p.id = pr.problem_id
                WHERE ps.name = ? AND (? IS NULL OR p.external_id = ?) ORDER BY pr.id LIMIT ?
                """, pairSet!, problem, problem, limit).compactMap { $0[0].int64 }
            if ids.isEmpty { throw StoreError("no pairs match (pair set \"\(pairSet!)\"\(problem.map { ", problem \($0)" } ?? ""))") }
        }
        for id in ids {
            let view = try PairView.load(db, pair: id)
            if output.format == .json || output.format == .jsonl {
                print(output.format == .json ? view.json.prettyText : view.json.text)
            } else {
                print(view.text(width: width))
            }
        }
    }
}
