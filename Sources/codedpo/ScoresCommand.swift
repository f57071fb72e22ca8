import ArgumentParser
import CodeDPOKit
import Foundation

struct ScoresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scores",
        abstract: "Show one problem of a score run: ranked solutions and tests, the pass matrix, convergence.",
        discussion: """
            Examples:
              codedpo scores --score-run 1 --problem HumanEval/0
              codedpo scores --score-run 1 --problem HumanEval/0 --format json
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Option(name: .long, help: "The score run.") var scoreRun: Int64
    @Option(name: .long, help: "The problem (external id).") var problem: String
    @Option(name: .long, help: "Show at most this many solutions and tests (0: all).") var limit = 20
    @OptionGroup var output: FormatOptions

    func firstLine(_ code: String) -> String {
        code.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map(String.init) ?? ""
    }

    func run() throws {
        let db = try database.openForReading()
        let view = try ProblemScores.load(db, scoreRun: scoreRun, problem: problem)
        let cut = { (n: Int) in limit > 0 ? min(n, limit) : n }
        if output.format == .json || output.format == .jsonl {
            func entries(_ list: [ProblemScores.Entry]) -> JSON {
                .array(list.map { .object([("id", .int($0.id)), ("rank", .int(Int64($0.rank))), ("score", .double($0.score)),
                                           ("samples", .int(Int64($0.samples))), ("passes", .int(Int64($0.passes))), ("code", .string($0.code))]) })
            }
            let json: JSON = .object([
                ("problem", .string(problem)), ("score_run", .int(scoreRun)),
                ("solutions", entries(view.solutions)), ("tests", entries(view.tests)),
                ("matrix", .array(view.matrix.map { .array($0.map { .bool($0) }) })),
                ("convergence", .array(view.convergence.map { .object([("iteration", .int(Int64($0.iteration))), ("top_solution", .int($0.topSolution)),
                                                                       ("rank_changes", .int(Int64($0.rankChanges))), ("tau_to_final", JSON($0.tauToFinal))]) })),
            ])
            print(output.format == .json ? json.prettyText : json.text)
            return
        }
        let sink = StandardOutput()
        sink.write("Solutions of \(problem), score run \(scoreRun) (\(view.solutions.count), best first)\n")
        let solutions = RowWriter(format: output.format, columns: ["rank", "solution", "score", "samples", "passes", "last line"], sink: sink, maxWidth: 60)
        for entry in view.solutions.prefix(cut(view.solutions.count)) {
            solutions.add([.integer(Int64(entry.rank)), .integer(entry.id), .real(entry.score), .integer(Int64(entry.samples)),
                           .text("\(entry.passes)/\(view.tests.count)"), .text(firstLine(entry.code))])
        }
        solutions.finish()
        sink.write("\nTests (\(view.tests.count), most trusted first)\n")
        let tests = RowWriter(format: output.format, columns: ["rank", "test", "score", "passed_by", "code"], sink: sink, maxWidth: 70)
        for entry in view.tests.prefix(cut(view.tests.count)) {
            tests.add([.integer(Int64(entry.rank)), .integer(entry.id), .real(entry.score),
                       .text("\(entry.passes)/\(view.solutions.count)"), .text(firstLine(entry.code))])
        }
        tests.finish()
        if output.format == .table {
            sink.write("\nPass matrix (rows: solutions best first; columns: tests most trusted first; █ pass)\n")
            sink.write(view.matrixText + "\n")
            sink.write("\nConvergence\n")
        }
        let steps = RowWriter(format: output.format, columns: ["iteration", "top_solution", "rank_changes", "tau_to_final"], sink: sink)
        for step in view.convergence {
            steps.add([.integer(Int64(step.iteration)), .integer(step.topSolution), .integer(Int64(step.rankChanges)),
                       step.tauToFinal.map { .real($0) } ?? .null])
        }
        steps.finish()
    }
}
