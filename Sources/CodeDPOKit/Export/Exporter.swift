import Foundation

/// What an export is made from: a pair set (the pair formats; the RL formats take its score
/// run), or a score run (the RL formats).
public enum ExportSource: Sendable, Equatable {
    case pairSet(String)
    case scoreRun(Int64)
}

public struct ExportOptions: Sendable {
    public var format: ExportFormat
    /// The data file (ignored with `hub`).
    public var out: String
    /// Share of problems (0-1) written to a validation file; problems, not pairs, are split,
    /// so no problem is in both.
    public var validationShare: Double?
    public var limit: Int?
    public var shuffleSeed: UInt64?
    /// Kinds of pairs to export (default both).
    public var kinds: [String] = ["correctness", "efficiency"]
    /// KTO: drop rows until desirable and undesirable counts are equal.
    public var balance = false
    /// Keep pairs of problems that the latest `codedpo decontaminate` found in a benchmark.
    public var allowContaminated = false
    /// RL formats: problems with fewer trusted tests are left out (and counted).
    public var minTests = 4
    /// A Hugging Face Hub dataset folder: DIR/data/<split>.<ext>, DIR/README.md (the card),
    /// DIR/codedpo.manifest.json.
    public var hub: String?
    /// The card's license (a Hub license id).
    public var license = "other"

    public init(format: ExportFormat, out: String) {
        self.format = format
        self.out = out
    }
}

public struct ExportedFile: Sendable {
    public var split: String?
    public var path: String
    public var rows: Int
    public var sha256: String
    public var desirable = 0
    public var undesirable = 0
}

public struct ExportReport: Sendable {
    public var source: ExportSource
    public var format: ExportFormat
    public var files: [ExportedFile] = []
    public var manifestPath = ""
    public var extraFiles: [String] = []
    public var statistics = ExportStatistics()
    /// The dataset card, with --hub.
    public var cardPath: String?
}

/// Writes a pair set, or the problems and trusted tests of a score run, as training data, one
/// JSON line at a time; checks every line it wrote; records each file in `exports` with its
/// sha256 and a manifest beside it (and, for the Hub, a dataset card).
public struct Exporter {
    public let db: Database
    public let runID: Int64

    public init(db: Database, runID: Int64) {
        self.db = db
        self.runID = runID
    }

    /// Deterministic split by problem: the same problems go to validation every time.
    public static func isValidation(problem: String, share: Double, seed: UInt64) -> Bool {
        var hasher = SHA256()
        hasher.update("\(seed):\(problem)")
        let value = hasher.finalize().prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Double(value >> 11) / Double(1 << 53) < share
    }

    struct Layout {
        var train: String
        var validation: String?
        var manifest: String
        var card: String?
        /// Set when the data files are Parquet (verl): the interpreter with pyarrow.
        var parquet: PythonInterpreter?
    }

    func layout(for options: ExportOptions) throws -> Layout {
        var layout = try paths(for: options)
        if options.format == .verl && URL(fileURLWithPath: layout.train).pathExtension == "parquet" {
            guard let python = Parquet.converter() else {
                throw StoreError("--out *.parquet needs pyarrow (python3 -m pip install pyarrow); or write --out NAME.json, which verl reads too")
            }
            layout.parquet = python
        }
        return layout
    }

    func paths(for options: ExportOptions) throws -> Layout {
        var ext = options.format.fileExtension
        if let hub = options.hub {
            // verl: Parquet when pyarrow is there (every verl version reads it), else .json.
            if options.format == .verl && Parquet.converter() != nil { ext = "parquet" }
            let folder = URL(fileURLWithPath: hub)
            let data = folder.appendingPathComponent("data")
            return Layout(train: data.appendingPathComponent("train.\(ext)").path,
                          validation: options.validationShare == nil ? nil : data.appendingPathComponent("validation.\(ext)").path,
                          manifest: folder.appendingPathComponent("codedpo.manifest.json").path, card: folder.appendingPathComponent("README.md").path)
        }
        let url = URL(fileURLWithPath: options.out)
        if options.format == .verl && !["json", "parquet"].contains(url.pathExtension) {
            throw StoreError("verl reads .json or .parquet files, not .\(url.pathExtension.isEmpty ? "(none)" : url.pathExtension): use --out NAME.json (JSON lines, which verl loads with datasets' json loader) or NAME.parquet (needs pyarrow)")
        }
        let base = url.deletingPathExtension().path
        let fileExt = url.pathExtension.isEmpty ? ext : url.pathExtension
        if options.validationShare != nil {
            return Layout(train: "\(base).train.\(fileExt)", validation: "\(base).validation.\(fileExt)", manifest: "\(base).manifest.json")
        }
        return Layout(train: url.path, validation: nil, manifest: "\(base).manifest.json")
    }

    /// Where the export comes from, as the manifest and the `exports` row name it.
    struct Origin {
        var title: String
        var pairSet: (id: Int64, name: String, policy: JSON, summary: JSON, efficiencyRun: Int64?)?
        var scoreRun: ScoreRunRecord
    }

    func origin(_ source: ExportSource) throws -> Origin {
        switch source {
        case .pairSet(let name):
            guard let set = try db.rows("SELECT id, policy, score_run_id, efficiency_run_id, summary FROM pair_sets WHERE name = ?", name).first else {
                throw StoreError("no pair set named \"\(name)\": list them with `codedpo query \"SELECT name FROM pair_sets\"` or make one with `codedpo pairs`")
            }
            return Origin(title: name, pairSet: (set["id"].int64!, name, try JSON.parse(set["policy"].string!),
                                                 set["summary"].string.flatMap { try? JSON.parse($0) } ?? .null, set["efficiency_run_id"].int64),
                          scoreRun: try ScoreRunRecord.load(db, set["score_run_id"].int64!))
        case .scoreRun(let id):
            return Origin(title: "score run \(id)", pairSet: nil, scoreRun: try ScoreRunRecord.load(db, id))
        }
    }

    /// Exports a pair set (compatibility entry point of the pair formats).
    public func export(pairSet name: String, options: ExportOptions) throws -> ExportReport {
        try export(.pairSet(name), options: options)
    }

    public func export(_ source: ExportSource, options: ExportOptions) throws -> ExportReport {
        let origin = try origin(source)
        if !options.format.isRL && origin.pairSet == nil {
            throw StoreError("--format \(options.format.rawValue) writes pairs: name a pair set with --pair-set (a score run alone feeds only grpo, verl and openrlhf-rl)")
        }
        let layout = try layout(for: options)
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: layout.train).deletingLastPathComponent(), withIntermediateDirectories: true)
        var files = try SplitFiles(layout: layout, format: options.format)
        var report = ExportReport(source: source, format: options.format, manifestPath: layout.manifest,
                                  statistics: ExportStatistics(rl: options.format.isRL), cardPath: layout.card)
        if options.format.isRL {
            try writeProblems(origin: origin, options: options, files: &files, statistics: &report.statistics)
        } else {
            try writePairs(setID: origin.pairSet!.id, options: options, files: &files, statistics: &report.statistics)
        }
        report.files = try files.finish(balance: options.format == .kto && options.balance)
        if options.format == .llamafactory {
            report.extraFiles.append(try writeLLaMAFactoryInfo(name: origin.title, files: report.files, folder: URL(fileURLWithPath: layout.train).deletingLastPathComponent()))
        }
        var manifest = try manifest(origin: origin, options: options, report: report)
        if let card = layout.card {
            let folder = URL(fileURLWithPath: options.hub!).standardizedFileURL.path
            let relative = report.files.map { file in
                (split: file.split ?? "train", path: String(URL(fileURLWithPath: file.path).standardizedFileURL.path.dropFirst(folder.count + 1)), rows: file.rows)
            }
            try DatasetCard.markdown(title: origin.title, format: options.format, license: options.license, files: relative,
                                     manifest: manifest, statistics: report.statistics).write(toFile: card, atomically: true, encoding: .utf8)
            manifest.set("card", .string("README.md"))
        }
        try (manifest.json.prettyText + "\n").write(toFile: layout.manifest, atomically: true, encoding: .utf8)
        try db.transaction {
            for file in report.files {
                try db.run("INSERT INTO exports (run_id, pair_set_id, score_run_id, format, split, path, count, sha256, manifest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           runID, origin.pairSet?.id, origin.scoreRun.id, options.format.rawValue, file.split,
                           URL(fileURLWithPath: file.path).standardizedFileURL.path, file.rows, file.sha256, manifest.json.text)
            }
        }
        return report
    }

    func split(problem: String, options: ExportOptions) -> String {
        guard let share = options.validationShare else { return "train" }
        return Self.isValidation(problem: problem, share: share, seed: options.shuffleSeed ?? 0) ? "validation" : "train"
    }

    func writePairs(setID: Int64, options: ExportOptions, files: inout SplitFiles, statistics: inout ExportStatistics) throws {
        let kinds = options.kinds.map { "'\($0)'" }.joined(separator: ", ")
        var ids = try db.rows("""
            SELECT pr.id AS id, p.external_id AS problem FROM pairs pr JOIN problems p ON p.id = pr.problem_id
            WHERE pr.pair_set_id = ? AND pr.kind IN (\(kinds))
              AND \(ContaminationFilter.condition(problemColumn: "pr.problem_id", allowContaminated: options.allowContaminated))
            ORDER BY pr.id
            """, setID).map { ($0["id"].int64!, $0["problem"].string!) }
        if let seed = options.shuffleSeed { ids = seededShuffle(ids, seed: seed) }
        if let limit = options.limit { ids = Array(ids.prefix(limit)) }
        let fetch = try db.prepare("""
            SELECT pr.id, p.external_id, p.prompt, pr.kind, c.code, r.code, coalesce(pr.margin, 0), p.entry_point
            FROM pairs pr JOIN problems p ON p.id = pr.problem_id
            JOIN solutions c ON c.id = pr.chosen_solution_id JOIN solutions r ON r.id = pr.rejected_solution_id
            WHERE pr.id = ?
            """)
        // Unpaired formats list a solution once, however many pairs it is in.
        let unpaired = options.format == .kto || options.format == .sft
        for (id, problem) in ids {
            try fetch.bind(id, at: 1)
            guard try fetch.step() else { fetch.reset(); continue }
            let pair = PairRecord(pairID: fetch.int64(at: 0), problem: fetch.string(at: 1), prompt: fetch.string(at: 2),
                                  entryPoint: fetch.optionalString(at: 7), kind: fetch.string(at: 3),
                                  chosen: fetch.string(at: 4), rejected: fetch.string(at: 5), margin: fetch.double(at: 6))
            fetch.reset()
            let texts = ExportText.texts(pair)
            // A solution that is the prompt alone (a sample cut right after the header) has
            // nothing to learn from, and an empty field would break trainers.
            if [texts.chosen, texts.rejected].contains(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) {
                statistics.leave(reason: "a response is empty: the solution is its prompt alone")
                continue
            }
            statistics.add(pair: problem, kind: pair.kind, shape: texts.shape, chosen: texts.chosen, rejected: texts.rejected, margin: pair.margin)
            try files.write(ExportText.lines(pair, texts: texts, format: options.format), split: split(problem: problem, options: options), unique: unpaired)
        }
    }

    func writeProblems(origin: Origin, options: ExportOptions, files: inout SplitFiles, statistics: inout ExportStatistics) throws {
        let run = origin.scoreRun
        var problems = try db.rows(Self.scoredProblemsSQL(allowContaminated: options.allowContaminated), run.id, run.finalIteration)
        if let seed = options.shuffleSeed { problems = seededShuffle(problems, seed: seed) }
        var index: [String: Int] = [:]
        for row in problems {
            if let limit = options.limit, statistics.testsPerProblem.count >= limit { break }
            let tests = try run.trustedTests(db, problemID: row["id"].int64!)
            guard tests.count >= options.minTests else {
                statistics.leave(reason: "fewer than \(options.minTests) trusted tests")
                continue
            }
            let problem = ProblemTests(problem: row["external_id"].string!, prompt: row["prompt"].string!, entryPoint: row["entry_point"].string,
                                       language: row["language"].string ?? "python", tests: tests)
            let split = split(problem: problem.problem, options: options)
            statistics.add(problem: problem.problem, tests: tests.count)
            try files.write([RLRows.line(problem, format: options.format, split: split, index: index[split, default: 0])], split: split, unique: false)
            index[split, default: 0] += 1
        }
    }

    /// The problems a score run scored at an iteration (arguments: score run, iteration), in id
    /// order. The EXISTS walks the problem's solutions first (CROSS JOIN): with `scores` outer
    /// it read the run's scores up to each problem, quadratic in the problems.
    static func scoredProblemsSQL(allowContaminated: Bool) -> String {
        """
        SELECT p.id AS id, p.external_id AS external_id, p.prompt AS prompt, p.entry_point AS entry_point, p.language AS language
        FROM problems p WHERE EXISTS (SELECT 1 FROM solutions s
            CROSS JOIN scores sc ON sc.score_run_id = ? AND sc.solution_id = s.id AND sc.iteration = ?
            WHERE s.problem_id = p.id)
          AND \(ContaminationFilter.condition(problemColumn: "p.id", allowContaminated: allowContaminated))
        ORDER BY p.id
        """
    }

    func writeLLaMAFactoryInfo(name: String, files: [ExportedFile], folder: URL) throws -> String {
        let infoPath = folder.appendingPathComponent("dataset_info.json").path
        var entries: [(String, JSON)] = []
        for file in files {
            let datasetName = "codedpo_\(name)" + (file.split.map { "_\($0)" } ?? "")
            entries.append((datasetName, .object([
                ("file_name", .string(URL(fileURLWithPath: file.path).lastPathComponent)), ("ranking", .bool(true)),
                ("columns", .object([("prompt", "instruction"), ("query", "input"), ("chosen", "chosen"), ("rejected", "rejected")])),
            ])))
        }
        try (JSON.object(entries).prettyText + "\n").write(toFile: infoPath, atomically: true, encoding: .utf8)
        return infoPath
    }

    func manifest(origin: Origin, options: ExportOptions, report: ExportReport) throws -> ExportManifest {
        let score = origin.scoreRun
        var efficiency: JSON = .null
        if let efficiencyRun = origin.pairSet?.efficiencyRun,
           let row = try db.rows("SELECT method, repeat, parameters FROM efficiency_runs WHERE id = ?", efficiencyRun).first {
            // The paper's numbers for the pairs this export draws from.
            let speedups = try db.rows("SELECT margin FROM pairs WHERE pair_set_id = ? AND kind = 'efficiency' AND margin IS NOT NULL",
                                       origin.pairSet!.id).compactMap { $0["margin"].double }
            efficiency = .object([("id", .int(efficiencyRun)), ("method", .string(row["method"].string!)), ("repeat", .int(row["repeat"].int64!)),
                                  ("parameters", try JSON.parse(row["parameters"].string!)), ("speedups", SpeedupDistribution(speedups).json)])
        }
        var manifest = ExportManifest()
        manifest.set("tool", "codedpo")
        manifest.set("tool_version", .string(CodeDPO.version))
        manifest.set("created_at", .string(ISO8601DateFormatter().string(from: Date())))
        manifest.set("source_database", .string(URL(fileURLWithPath: db.path).standardizedFileURL.path))
        manifest.set("run_id", .int(runID))
        manifest.set("pair_set", origin.pairSet.map { set in
            .object([("id", .int(set.id)), ("name", .string(set.name)), ("policy", set.policy), ("summary", set.summary)])
        } ?? .null)
        manifest.set("score_run", .object([("id", .int(score.id)), ("strategy", .string(score.strategy)), ("parameters", score.parameters),
                                           ("execution_config", .int(score.configID))]))
        manifest.set("efficiency_run", efficiency)
        manifest.set("models", JSON(try models(origin: origin)))
        manifest.set("format", .string(options.format.rawValue))
        var optionFields: [(String, JSON)] = [
            ("validation_share", JSON(options.validationShare)), ("limit", JSON(options.limit)),
            ("shuffle_seed", options.shuffleSeed.map { .int(Int64(bitPattern: $0)) } ?? .null),
        ]
        optionFields += options.format.isRL ? [("min_tests", .int(Int64(options.minTests)))]
                                            : [("kinds", JSON(options.kinds)), ("balance", .bool(options.balance))]
        if options.hub != nil { optionFields.append(("license", .string(options.license))) }
        manifest.set("options", .object(optionFields))
        manifest.set("rl", options.format.isRL ? .object([("min_tests", .int(Int64(options.minTests))),
                                                           ("tests", "generated tests passed by the top-scored solution of the score run")]) : .null)
        manifest.set("statistics", report.statistics.json)
        manifest.set("files", .array(report.files.map { file in
            .object([("split", JSON(file.split)), ("path", .string((options.hub == nil ? "" : "data/") + URL(fileURLWithPath: file.path).lastPathComponent)),
                     ("rows", .int(Int64(file.rows))), ("sha256", .string(file.sha256)),
                     ("desirable", .int(Int64(file.desirable))), ("undesirable", .int(Int64(file.undesirable)))])
        }))
        manifest.set("extra_files", .array(report.extraFiles.map { .string(URL(fileURLWithPath: $0).lastPathComponent) }))
        if let set = origin.pairSet {
            manifest.set("decontamination", try ContaminationFilter.summary(db, problemsSQL: "SELECT problem_id AS pid FROM pairs WHERE pair_set_id = ?",
                                                                             arguments: [set.id], allowContaminated: options.allowContaminated))
        } else {
            manifest.set("decontamination", try ContaminationFilter.summary(db, problemsSQL: """
                SELECT s.problem_id AS pid FROM scores sc JOIN solutions s ON s.id = sc.solution_id WHERE sc.score_run_id = ? AND sc.iteration = ?
                """, arguments: [origin.scoreRun.id, origin.scoreRun.finalIteration], allowContaminated: options.allowContaminated))
        }
        return manifest
    }

    /// The models that sampled the exported solutions (pair formats) or the scored ones (RL).
    func models(origin: Origin) throws -> [String] {
        let rows: [Row]
        if let set = origin.pairSet {
            rows = try db.rows("""
                SELECT DISTINCT ss.model AS model FROM pairs pr JOIN solution_sources ss
                    ON ss.solution_id IN (pr.chosen_solution_id, pr.rejected_solution_id)
                WHERE pr.pair_set_id = ? AND ss.model IS NOT NULL ORDER BY ss.model
                """, set.id)
        } else {
            rows = try db.rows("""
                SELECT DISTINCT ss.model AS model FROM scores sc JOIN solution_sources ss ON ss.solution_id = sc.solution_id
                WHERE sc.score_run_id = ? AND sc.iteration = ? AND ss.model IS NOT NULL ORDER BY ss.model
                """, origin.scoreRun.id, origin.scoreRun.finalIteration)
        }
        return rows.compactMap { $0["model"].string }
    }

    /// Reads a written file back: every line must pass the format's checks.
    public static func check(path: String, format: ExportFormat, expectedRows: Int) throws {
        let reader = try LineReader(path: path)
        var rows = 0
        while let failure = try reader.next({ line -> String in
            guard case .text(let bytes) = line else { return "line too long" }
            return ExportText.problem(in: String(decoding: bytes, as: UTF8.self), format: format) ?? ""
        }) {
            rows += 1
            if !failure.isEmpty {
                throw StoreError("export check failed: \(path):\(reader.lineNumber): \(failure); the file is left for inspection and no export was recorded")
            }
        }
        guard rows == expectedRows else { throw StoreError("export check failed: \(path) has \(rows) lines, \(expectedRows) were written") }
    }

    /// KTO balance: keeps the first n desirable and n undesirable rows, n the smaller count.
    static func balance(path: String) throws -> (Int, Int, Int) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        let parsed = lines.map { (try? JSON.parse($0))?["label"] == .bool(true) }
        let keep = min(parsed.filter { $0 }.count, parsed.filter { !$0 }.count)
        var taken = (0, 0)
        var out = ""
        for (line, desirable) in zip(lines, parsed) {
            if desirable && taken.0 < keep { taken.0 += 1; out += line + "\n" }
            if !desirable && taken.1 < keep { taken.1 += 1; out += line + "\n" }
        }
        try out.write(toFile: path, atomically: true, encoding: .utf8)
        return (taken.0 + taken.1, taken.0, taken.1)
    }
}

/// The train (and validation) files of one export: rows written, KTO labels counted,
/// duplicates of unpaired formats dropped; at the end every file is read back and checked.
struct SplitFiles {
    let format: ExportFormat
    var writers: [(split: String, writer: FileWriter)] = []
    var counts: [String: (rows: Int, desirable: Int, undesirable: Int)] = [:]
    var seen: [String: Set<String>] = [:]
    let named: Bool
    let parquet: PythonInterpreter?

    init(layout: Exporter.Layout, format: ExportFormat) throws {
        self.format = format
        parquet = layout.parquet
        // Parquet files are converted from checked JSON lines written beside them.
        let suffix = parquet == nil ? "" : ".jsonl.tmp"
        writers.append(("train", try FileWriter(path: layout.train + suffix)))
        if let validation = layout.validation { writers.append(("validation", try FileWriter(path: validation + suffix))) }
        named = layout.validation != nil
    }

    mutating func write(_ lines: [JSON], split: String, unique: Bool) throws {
        guard let writer = writers.first(where: { $0.split == split })?.writer else { return }
        for line in lines {
            let text = line.text
            if unique {
                if seen[split, default: []].contains(text) { continue }
                seen[split, default: []].insert(text)
            }
            try writer.write(text + "\n")
            var count = counts[split] ?? (0, 0, 0)
            count.rows += 1
            if line["label"] == .bool(true) { count.desirable += 1 }
            if line["label"] == .bool(false) { count.undesirable += 1 }
            counts[split] = count
        }
    }

    func finish(balance: Bool) throws -> [ExportedFile] {
        var files: [ExportedFile] = []
        for (split, writer) in writers {
            try writer.close()
            var count = counts[split] ?? (0, 0, 0)
            if balance { count = try Exporter.balance(path: writer.path) }
            try Exporter.check(path: writer.path, format: format, expectedRows: count.rows)
            var path = writer.path
            if let parquet {
                path = String(writer.path.dropLast(".jsonl.tmp".count))
                try Parquet.convert(jsonLines: writer.path, to: path, rows: count.rows, python: parquet)
                try FileManager.default.removeItem(atPath: writer.path)
            }
            files.append(ExportedFile(split: named ? split : nil, path: path, rows: count.rows,
                                      sha256: try LineReader.digest(path: path).sha256, desirable: count.desirable, undesirable: count.undesirable))
        }
        return files
    }
}

/// Buffered file output.
final class FileWriter {
    let path: String
    private let handle: FileHandle
    private var buffer = ""

    init(path: String) throws {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw StoreError("cannot write \(path)")
        }
        self.handle = handle
    }

    func write(_ text: String) throws {
        buffer += text
        if buffer.utf8.count > 1 << 20 { try flush() }
    }

    func flush() throws {
        try handle.write(contentsOf: Data(buffer.utf8))
        buffer = ""
    }

    func close() throws {
        try flush()
        try handle.close()
    }
}
