import ArgumentParser
import CodeDPOKit
import Foundation

extension ImportKind: ExpressibleByArgument {}
extension ImportFormat: ExpressibleByArgument {}
extension TestKind: ExpressibleByArgument {}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import seeds, problems, solutions or tests from files and known formats.",
        discussion: """
            KIND is seeds, problems, solutions or tests. The default format is the interchange JSONL \
            (one object a line; extra fields go to metadata):
              problems:  {"id": "HumanEval/0", "prompt": "...", "entry_point": "f", "language": "python"}
              solutions: {"problem": "HumanEval/0", "code": "<whole program>", "count": 3, "model": "..."}
              tests:     {"problem": "HumanEval/0", "code": "assert f(1) == 2", "kind": "generated"}
              seeds:     {"content": "...", "language": "python", "source": "repo/file.py#L10-L42"}
            Seeds also come from directories (recursively; Python files give one seed per top-level \
            function or class; git checkouts record repository and commit).

            Known formats (--format): humaneval (problems with ground-truth tests split one per assert, \
            solutions = canonical solutions; .gz accepted), mbpp (CodeT's sanitized MBPP, MBPP+, or the \
            original sanitized MBPP), codet (CodeT's {"prompt","samples"} files for solutions and tests; \
            --prompts maps prompts to problems), agentcoder (AgentCoder's JSON list).

            Identity is by content: the same code is one row with one provenance record per place it \
            came from, and its sample_count adds up the samples. Importing the same file again adds \
            nothing. An import is one transaction: a bad line stops it and nothing is imported, unless \
            --skip-bad is given (bad lines are then counted, the first few shown, and stored nowhere).

            Examples:
              codedpo import problems ../shared/data/humaneval/HumanEval.jsonl.gz --format humaneval
              codedpo import solutions ../shared/data/humaneval/HumanEval.jsonl.gz --format humaneval --model canonical
              codedpo import solutions samples.jsonl --format codet --prompts HumanEval_for_code_generation.jsonl
              codedpo import tests tests.jsonl --format codet --prompts HumanEval_for_test_case_generation.jsonl
              codedpo import solutions my_samples.jsonl --skip-bad
              codedpo import seeds ~/src/project --include '*.py' --exclude 'tests/**'
              codedpo import problems new.jsonl --dry-run
              codedpo import problems ../shared/data/evalplus/HumanEvalPlus.jsonl.gz --format humaneval --id-prefix Plus/ --plus-tests
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "What the files hold: seeds, problems, solutions or tests.")
    var kind: ImportKind

    @Argument(help: "Files to import (JSONL, .gz, or a directory for seeds).")
    var files: [String]

    @Option(name: .long, help: "Input format: jsonl (interchange), humaneval, mbpp, codet, agentcoder.")
    var format: ImportFormat = .jsonl

    @Flag(name: .long, help: "Skip bad lines (counted and reported) instead of importing nothing.")
    var skipBad = false

    @Flag(name: .long, help: "Show what would be added; change nothing.")
    var dryRun = false

    @Option(name: .long, help: "CodeT: JSONL file with task_id and prompt, to match samples to problems.")
    var prompts: String?

    @Option(name: .long, help: "CodeT: keep at most this many tests per sample.")
    var testsPerSample = 5

    @Option(name: .long, help: "Model name to record for solutions and tests without one.")
    var model: String?

    @Option(name: .long, help: "Kind of imported tests when the file does not say: generated or ground_truth.")
    var testKind: TestKind?

    @Option(name: .long, help: "Seeds from directories: only paths matching this glob (repeatable).")
    var include: [String] = []

    @Option(name: .long, help: "Seeds from directories: skip paths matching this glob (repeatable).")
    var exclude: [String] = []

    @Option(name: .long, help: "A line longer than this many bytes is a bad line.")
    var maxLineBytes = 64 << 20

    @Option(name: .long, help: "Python interpreter used to parse tests and seeds (default: python3 on PATH).")
    var python: String?

    @Option(name: .long, help: ArgumentHelp("Put this in front of every problem id (of problems, and of the problems solutions and tests name), e.g. Plus/ so HumanEval+ lives beside HumanEval.", valueName: "prefix"))
    var idPrefix = ""

    @Flag(name: .long, help: "HumanEval+/MBPP+ problems: base_input and plus_input become the ground-truth tests (test sets base and plus; the check's asserts are not imported), expected values from running the canonical solution.")
    var plusTests = false

    // --format names the input format here (as DESIGN.md has it), so the report's own
    // format has another name.
    @Option(name: .long, help: "Report format: table (for people), csv, json or jsonl (for scripts).")
    var reportFormat: OutputFormat = .table

    /// The flags as a library request (the pipeline builds the same from a config).
    var request: ImportRequest {
        var request = ImportRequest(kind: kind, files: files)
        request.options.format = format
        request.options.skipBad = skipBad
        request.options.dryRun = dryRun
        request.options.promptsFile = prompts
        request.options.testsPerSample = testsPerSample
        request.options.model = model
        request.options.testKind = testKind
        request.options.include = include
        request.options.exclude = exclude
        request.options.maxLineBytes = maxLineBytes
        request.options.python = python
        request.options.idPrefix = idPrefix
        request.options.plusTests = plusTests
        return request
    }

    func validate() throws {
        try usage { try request.validate() }
    }

    func run() throws {
        print(report: try request.run(db: try database.openForWriting(), argv: CommandLine.arguments))
    }

    func print(report: ImportReport) {
        let sink = StandardOutput()
        switch reportFormat {
        case .json: sink.write(report.json.prettyText + "\n")
        case .jsonl: sink.write(report.json.text + "\n")
        case .table, .csv:
            let columns = ["file", "items", "problems", "solutions", "generated_tests", "ground_truth_tests", "seeds", "merged", "unchanged", "bad"]
            let writer = RowWriter(format: reportFormat, columns: columns, sink: sink, maxWidth: 50)
            for file in report.files {
                writer.add([.text(file.path), .integer(Int64(file.items))]
                           + ["problems", "solutions", "generated_tests", "ground_truth_tests", "seeds"].map { .integer(Int64(file.added[$0] ?? 0)) }
                           + [.integer(Int64(file.merged)), .integer(Int64(file.unchanged)), .integer(Int64(file.badItems))])
            }
            writer.finish()
        }
        sink.flush()
        for file in report.files {
            for note in file.notes { Terminal.note(note) }
            if file.badItems > 0 {
                Terminal.note("\(file.path): skipped \(file.badItems) bad item(s); the first:\n  " + file.firstBad.joined(separator: "\n  "))
            }
            if file.sourceWasKnown && file.addedTotal == 0 && file.merged == 0 {
                Terminal.note("\(file.path) was imported before: nothing new")
            }
        }
        let added = report.added.values.reduce(0, +)
        if report.dryRun {
            Terminal.note("dry run: would add \(added) row(s); nothing was changed")
        } else if added == 0 && report.files.allSatisfy({ $0.merged == 0 }) {
            Terminal.note("nothing new was added")
        }
    }
}
