import ArgumentParser
import CodeDPOKit
import Foundation

struct DecontaminateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decontaminate",
        abstract: "Check problems, solutions, tests and seeds against benchmarks; record every match.",
        discussion: """
            Two kinds of match, as open pipelines do: a benchmark's docstring or solution, normalized \
            (whitespace folded, trivial lines dropped), found inside an item (substring, as bigcode's \
            find_substrings.py); and a shared run of --ngram words (ngram, as open-r1 and OpenCoder). \
            Lines of the whitelist (return True, else:, pass, common imports; add more with \
            --whitelist FILE) never count. Every match is a row of contamination_matches (item, \
            benchmark item, kind of match, matched text); `pairs` and `export` leave out problems \
            with a match in the latest run unless --allow-contaminated.

            Benchmark files: HumanEval, HumanEval+, MBPP, MBPP+ in their own JSONL formats (.gz \
            accepted), or any JSONL with a prompt (prompt/text/description/question) and a solution \
            (canonical_solution/solution/code/completion). Name one with NAME=FILE.

            Examples:
              codedpo decontaminate --benchmark ../shared/data/humaneval/HumanEval.jsonl.gz
              codedpo decontaminate --benchmark MBPP+=../shared/data/evalplus/MbppPlus.jsonl.gz --ngram 8
              codedpo decontaminate --benchmark HumanEval.jsonl.gz --exclude HumanEval/ --format json
              codedpo query "SELECT * FROM contaminated_problems"
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(name: .long, help: ArgumentHelp("A benchmark file, or NAME=FILE (repeatable).", valueName: "file"))
    var benchmark: [String] = []

    @Option(name: .long, help: "Words in an n-gram match.")
    var ngram = 10

    @Option(name: .long, help: "Docstrings and solutions shorter than this (normalized bytes) are not matched as substrings.")
    var minSubstringBytes = 50

    @Option(name: .long, help: "A file of more trivial lines (one a line) that never count as a match.")
    var whitelist: String?

    @Flag(name: .long, help: "Do not use the built-in whitelist of trivial lines.")
    var noDefaultWhitelist = false

    @Option(name: .long, help: ArgumentHelp("Do not check problems whose id starts with this (repeatable), e.g. benchmark problems imported for `eval models`.", valueName: "prefix"))
    var exclude: [String] = []

    @Option(name: .long, help: "Also run the naive baseline (every benchmark string searched in every row) on this many rows, and report both speeds.")
    var naiveBaseline: Int?

    @Option(name: .long, help: "Matches listed (all are stored).")
    var show = 20

    @OptionGroup var output: FormatOptions

    func validate() throws {
        if benchmark.isEmpty { throw ValidationError("give at least one --benchmark FILE") }
        if ngram < 1 { throw ValidationError("--ngram must be at least 1") }
        if let naiveBaseline, naiveBaseline < 1 { throw ValidationError("--naive-baseline must be at least 1") }
    }

    func run() throws {
        var options = DecontaminationOptions()
        options.benchmarks = benchmark.map { given in
            if let equals = given.firstIndex(of: "="), !FileManager.default.fileExists(atPath: given) {
                return (String(given[..<equals]), String(given[given.index(after: equals)...]))
            }
            return (nil, given)
        }
        options.parameters.ngram = ngram
        options.parameters.minSubstringBytes = minSubstringBytes
        options.parameters.whitelist = Whitelist(lines: noDefaultWhitelist ? [] : Whitelist.defaultLines)
        if let whitelist {
            let text: String
            do { text = try String(contentsOfFile: whitelist, encoding: .utf8) } catch {
                throw ValidationError("cannot read --whitelist \(whitelist): \(error.localizedDescription)")
            }
            options.parameters.whitelist.add(text.components(separatedBy: "\n"))
        }
        options.excludePrefixes = exclude
        options.naiveRows = naiveBaseline

        let db = try database.openForWriting()
        let progress = ProgressLine()
        let parameters: JSON = .object([("benchmarks", JSON(benchmark)), ("ngram", .int(Int64(ngram))),
                                        ("min_substring_bytes", .int(Int64(minSubstringBytes))), ("exclude", JSON(exclude))])
        let report = try RunLog(db).record(command: "decontaminate", argv: CommandLine.arguments, parameters: parameters,
                                           summary: { $0.json }) { runID in
            let start = Date()
            return try Decontaminator(db: db, runID: runID).run(options) { rows in
                progress.update("checked \(rows) rows", elapsed: Date().timeIntervalSince(start))
            }
        }
        progress.finish()
        try print(report, db: db)
    }

    func print(_ report: DecontaminationReport, db: Database) throws {
        let matches = try db.rows("""
            SELECT m.item_kind, m.item_id, p.external_id AS problem, b.name AS benchmark, bi.external_id AS benchmark_item,
                   m.match, m.matched_text
            FROM contamination_matches m
            JOIN benchmark_items bi ON bi.id = m.benchmark_item_id JOIN benchmarks b ON b.id = bi.benchmark_id
            LEFT JOIN problems p ON p.id = m.problem_id
            WHERE m.decontamination_run_id = ? ORDER BY m.id LIMIT ?
            """, report.decontaminationRunID, show)
        let sink = StandardOutput()
        if output.format == .json || output.format == .jsonl {
            var json = report.json.objectValue ?? []
            json.append(("matches_shown", .array(matches.map { row in
                .object(row.columns.map { name in (name, JSON(row[name])) })
            })))
            sink.write((output.format == .json ? JSON.object(json).prettyText : JSON.object(json).text) + "\n")
            sink.flush()
            return
        }
        let writer = RowWriter(format: output.format, columns: ["item", "id", "problem", "benchmark", "benchmark_item", "match", "matched_text"],
                               sink: sink, maxWidth: 60)
        for row in matches {
            writer.add([row["item_kind"], row["item_id"], row["problem"], row["benchmark"], row["benchmark_item"], row["match"], row["matched_text"]])
        }
        writer.finish()
        sink.flush()
        let total = report.matches.values.reduce(0, +)
        let kinds = report.checked.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)s" }.joined(separator: ", ")
        Terminal.note("checked \(kinds) against \(report.benchmarks.map { "\($0.name) (\($0.items))" }.joined(separator: ", ")) in \(String(format: "%.2f", report.seconds)) s")
        Terminal.note("\(total) match(es) (\(report.matches.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))); \(report.contaminatedProblems) of \(report.problemsChecked) problems contaminated (decontamination run \(report.decontaminationRunID))")
        if total > matches.count { Terminal.note("showing \(matches.count) of \(total): all are in contamination_matches (--show N for more)") }
        if let baseline = report.baseline {
            Terminal.note(String(format: "baseline on %d rows: indexed %.4f s, naive %.4f s (%.1fx); answers %@", baseline.rows, baseline.indexedSeconds,
                                 baseline.naiveSeconds, baseline.naiveSeconds / max(baseline.indexedSeconds, 1e-9), baseline.agree ? "agree" : "DIFFER"))
        }
    }
}
