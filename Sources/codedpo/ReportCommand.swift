import ArgumentParser
import CodeDPOKit
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML page of charts about a database.",
        discussion: """
            The page (inline CSS and SVG, no script, nothing loaded from elsewhere) has six \
            sections: counts per stage and verdicts by status; histograms of the final solution \
            and test scores of one score run (each divided by its problem's best); the \
            convergence of self-validation per iteration, with the trust of wrong and right \
            tests; pass matrices of up to six problems as heat maps, with the chosen and \
            rejected solutions of the pairs marked; the top-1 pass rate of every strategy against \
            the ground truth, beside a random pick; and the speedups of the efficiency pairs.

            The report focuses on --score-run (default: the latest self-validation run, else the \
            latest run); --problem picks the pass matrices shown. It only reads: it never executes code, so strategies whose ground-truth \
            verdicts are missing show "not evaluated; run codedpo eval".

            Examples:
              codedpo report --out report.html
              codedpo report --out report.html --score-run 6 --db work.db
              codedpo report --out report.html --problem HumanEval/12 --problem S/3
              codedpo report --out report.html --format json   # path, bytes, sections
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(name: .long, help: ArgumentHelp("Where to write the HTML file.", valueName: "path"))
    var out: String

    @Option(name: .long, help: "The score run to focus on (default: the latest self-validation run, else the latest).")
    var scoreRun: Int64?

    @Option(name: .long, help: ArgumentHelp("Show this problem's pass matrix (repeatable; default: up to six chosen: with pairs, a distrusted test, a wide score spread).", valueName: "id"))
    var problem: [String] = []

    @OptionGroup var output: FormatOptions

    func run() throws {
        var request = ReportRequest(out: out)
        request.scoreRun = scoreRun
        request.problems = problem
        let written = try request.run(db: try database.openForReading())
        let bytes = written.bytes
        let sections = written.sections
        let url = URL(fileURLWithPath: written.path)
        switch output.format {
        case .json, .jsonl:
            let json: JSON = .object([
                ("path", .string(url.path)), ("bytes", .int(Int64(bytes))),
                ("sections", .array(sections.map { .object([("id", .string($0.id)), ("title", .string($0.title)), ("has_content", .bool($0.hasContent))]) })),
            ])
            print(output.format == .json ? json.prettyText : json.text)
        case .table, .csv:
            let writer = RowWriter(format: output.format, columns: ["path", "bytes", "sections", "empty"], sink: StandardOutput())
            let empty = sections.filter { !$0.hasContent }.map(\.id)
            writer.add([.text(url.path), .integer(Int64(bytes)), .integer(Int64(sections.count - empty.count)),
                        .text(empty.isEmpty ? "" : empty.joined(separator: " "))])
            writer.finish()
        }
        if let focus = written.focus { Terminal.note("focused on \(focus)") }
        Terminal.note("wrote \(url.path) (\(bytes) bytes); open it in a browser")
    }
}
