import Foundation

public struct ExportOptions: Sendable {
    public var format: ExportFormat
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
    public var pairSet: String
    public var format: ExportFormat
    public var files: [ExportedFile] = []
    public var manifestPath = ""
    public var extraFiles: [String] = []
}

/// Writes a pair set as training data, one JSON line at a time, checks every line it wrote,
/// and records each file in `exports` with its sha256 and a manifest beside it.
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

    func paths(for options: ExportOptions) -> (train: String, validation: String?, manifest: String) {
        let url = URL(fileURLWithPath: options.out)
        let base = url.deletingPathExtension().path
        let ext = url.pathExtension.isEmpty ? "jsonl" : url.pathExtension
        if options.validationShare != nil {
            return ("\(base).train.\(ext)", "\(base).validation.\(ext)", "\(base).manifest.json")
        }
        return (url.path, nil, "\(base).manifest.json")
    }

    public func export(pairSet name: String, options: ExportOptions) throws -> ExportReport {
        guard let set = try db.rows("SELECT id, policy, score_run_id, efficiency_run_id, summary FROM pair_sets WHERE name = ?", name).first else {
            throw StoreError("no pair set named \"\(name)\": list them with `codedpo query \"SELECT name FROM pair_sets\"` or make one with `codedpo pairs`")
        }
        let setID = set[0].int64!
        let kinds = options.kinds.map { "'\($0)'" }.joined(separator: ", ")
        var ids = try db.rows("""
            SELECT pr.id, p.external_id FROM pairs pr JOIN problems p ON p.id = pr.problem_id
            WHERE pr.pair_set_id = ? AND pr.kind IN (\(kinds)) ORDER BY pr.id
            """, setID).map { ($0[0].int64!, $0[1].string!) }
        if let seed = options.shuffleSeed { ids = seededShuffle(ids, seed: seed) }
        if let limit = options.limit { ids = Array(ids.prefix(limit)) }
        let (trainPath, validationPath, manifestPath) = paths(for: options)
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: trainPath).deletingLastPathComponent(), withIntermediateDirectories: true)

        let fetch = try db.prepare("""
            SELECT pr.id, p.external_id, p.prompt, pr.kind, c.code, r.code, coalesce(pr.margin, 0), p.entry_point
            FROM pairs pr JOIN problems p ON p.id = pr.problem_id
            JOIN solutions c ON c.id = pr.chosen_solution_id JOIN solutions r ON r.id = pr.rejected_solution_id
            WHERE pr.id = ?
            """)
        var writers: [String: FileWriter] = [:]
        var seen: [String: Set<String>] = [:]
        writers["train"] = try FileWriter(path: trainPath)
        if let validationPath { writers["validation"] = try FileWriter(path: validationPath) }
        var counts: [String: (Int, Int, Int)] = [:]
        for (id, problem) in ids {
            let split = validationPath != nil && Self.isValidation(problem: problem, share: options.validationShare!, seed: options.shuffleSeed ?? 0) ? "validation" : "train"
            try fetch.bind(id, at: 1)
            guard try fetch.step() else { fetch.reset(); continue }
            let pair = PairRecord(pairID: fetch.int64(at: 0), problem: fetch.string(at: 1), prompt: fetch.string(at: 2),
                                  entryPoint: fetch.optionalString(at: 7), kind: fetch.string(at: 3),
                                  chosen: fetch.string(at: 4), rejected: fetch.string(at: 5), margin: fetch.double(at: 6))
            fetch.reset()
            for line in ExportText.lines(pair, format: options.format) {
                let text = line.text
                // Unpaired formats list a solution once, however many pairs it is in.
                if options.format == .kto || options.format == .sft {
                    if seen[split, default: []].contains(text) { continue }
                    seen[split, default: []].insert(text)
                }
                try writers[split]!.write(text + "\n")
                var count = counts[split] ?? (0, 0, 0)
                count.0 += 1
                if line["label"] == .bool(true) { count.1 += 1 }
                if line["label"] == .bool(false) { count.2 += 1 }
                counts[split] = count
            }
        }
        var report = ExportReport(pairSet: name, format: options.format, manifestPath: manifestPath)
        for split in ["train", "validation"] {
            guard let writer = writers[split] else { continue }
            try writer.close()
            if options.format == .kto && options.balance {
                counts[split] = try Self.balance(path: writer.path)
            }
            let (rows, desirable, undesirable) = counts[split] ?? (0, 0, 0)
            try Self.check(path: writer.path, format: options.format, expectedRows: rows)
            report.files.append(ExportedFile(split: validationPath == nil ? nil : split, path: writer.path, rows: rows,
                                             sha256: try LineReader.digest(path: writer.path).sha256, desirable: desirable, undesirable: undesirable))
        }
        if options.format == .llamafactory {
            let infoPath = URL(fileURLWithPath: trainPath).deletingLastPathComponent().appendingPathComponent("dataset_info.json").path
            var entries: [(String, JSON)] = []
            for file in report.files {
                let datasetName = "codedpo_\(name)" + (file.split.map { "_\($0)" } ?? "")
                entries.append((datasetName, .object([
                    ("file_name", .string(URL(fileURLWithPath: file.path).lastPathComponent)), ("ranking", .bool(true)),
                    ("columns", .object([("prompt", "instruction"), ("query", "input"), ("chosen", "chosen"), ("rejected", "rejected")])),
                ])))
            }
            try (JSON.object(entries).prettyText + "\n").write(toFile: infoPath, atomically: true, encoding: .utf8)
            report.extraFiles.append(infoPath)
        }
        let manifest = try manifest(setID: setID, name: name, set: set, options: options, report: report)
        try (manifest.prettyText + "\n").write(toFile: manifestPath, atomically: true, encoding: .utf8)
        try db.transaction {
            for file in report.files {
                try db.run("INSERT INTO exports (run_id, pair_set_id, format, split, path, count, sha256, manifest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           runID, setID, options.format.rawValue, file.split, URL(fileURLWithPath: file.path).standardizedFileURL.path,
                           file.rows, file.sha256, manifest.text)
            }
        }
        return report
    }

    func manifest(setID: Int64, name: String, set: Row, options: ExportOptions, report: ExportReport) throws -> JSON {
        let scoreRun = set[2].int64!
        let score = try db.rows("SELECT strategy, parameters, config_id FROM score_runs WHERE id = ?", scoreRun).first
        var efficiency: JSON = .null
        if let efficiencyRun = set[3].int64, let row = try db.rows("SELECT method, repeat, parameters FROM efficiency_runs WHERE id = ?", efficiencyRun).first {
            // The paper's numbers for the pairs this export draws from.
            let speedups = try db.rows("SELECT margin FROM pairs WHERE pair_set_id = ? AND kind = 'efficiency' AND margin IS NOT NULL", setID).compactMap { $0[0].double }
            efficiency = .object([("id", .int(efficiencyRun)), ("method", .string(row[0].string!)), ("repeat", .int(row[1].int64!)),
                                  ("parameters", try JSON.parse(row[2].string!)), ("speedups", SpeedupDistribution(speedups).json)])
        }
        return .object([
            ("tool", "codedpo"), ("tool_version", .string(CodeDPO.version)),
            ("created_at", .string(ISO8601DateFormatter().string(from: Date()))),
            ("source_database", .string(URL(fileURLWithPath: db.path).standardizedFileURL.path)), ("run_id", .int(runID)),
            ("pair_set", .object([("id", .int(setID)), ("name", .string(name)), ("policy", try JSON.parse(set[1].string!)),
                                  ("summary", set[4].string.flatMap { try? JSON.parse($0) } ?? .null)])),
            ("score_run", .object([("id", .int(scoreRun)), ("strategy", .string(score?[0].string ?? "")),
                                   ("parameters", (score?[1].string).flatMap { try? JSON.parse($0) } ?? .null),
                                   ("execution_config", JSON(score?[2].int64))])),
            ("efficiency_run", efficiency),
            ("format", .string(options.format.rawValue)),
            ("options", .object([("validation_share", JSON(options.validationShare)), ("limit", JSON(options.limit)),
                                 ("shuffle_seed", options.shuffleSeed.map { .int(Int64(bitPattern: $0)) } ?? .null),
                                 ("kinds", JSON(options.kinds)), ("balance", .bool(options.balance))])),
            ("files", .array(report.files.map { file in
                .object([("split", JSON(file.split)), ("path", .string(URL(fileURLWithPath: file.path).lastPathComponent)),
                         ("rows", .int(Int64(file.rows))), ("sha256", .string(file.sha256)),
                         ("desirable", .int(Int64(file.desirable))), ("undesirable", .int(Int64(file.undesirable)))])
            })),
            ("extra_files", .array(report.extraFiles.map { .string(URL(fileURLWithPath: $0).lastPathComponent) })),
        ])
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
