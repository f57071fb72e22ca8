import Foundation

/// One `codedpo import` (or a pipeline's import step): what the files hold, the files, and how
/// to read them.
public struct ImportRequest: Sendable {
    public var files: [String]
    public var options: ImportOptions

    public init(kind: ImportKind, files: [String]) {
        self.files = files
        self.options = ImportOptions(kind: kind)
    }

    public func validate() throws {
        if files.isEmpty { throw UsageError("give at least one file") }
        if options.testsPerSample < 0 { throw UsageError("--tests-per-sample must be >= 0") }
        if options.plusTests && (options.kind != .problems || ![.humaneval, .mbpp].contains(options.format)) {
            throw UsageError("--plus-tests is for `import problems` of HumanEval+ or MBPP+ files (--format humaneval or mbpp)")
        }
        if !options.format.kinds.contains(options.kind) {
            throw UsageError("--format \(options.format.rawValue) reads \(options.format.kinds.map(\.rawValue).joined(separator: ", ")), not \(options.kind.rawValue)")
        }
    }

    /// Imports in one transaction, recorded as one run with the command line `argv` (a dry
    /// run records nothing: it changes nothing).
    public func run(db: Database, argv: [String]) throws -> ImportReport {
        try validate()
        if options.dryRun { return try Importer.run(db: db, runID: nil, files: files, options: options) }
        let parameters: JSON = .object([
            ("kind", .string(options.kind.rawValue)), ("format", .string(options.format.rawValue)), ("files", JSON(files)),
            ("skip_bad", .bool(options.skipBad)), ("prompts", JSON(options.promptsFile)), ("tests_per_sample", .int(Int64(options.testsPerSample))),
            ("model", JSON(options.model)), ("id_prefix", .string(options.idPrefix)), ("plus_tests", .bool(options.plusTests)),
        ])
        return try RunLog(db).record(command: "import", argv: argv, parameters: parameters, summary: { $0.json }) { runID in
            try Importer.run(db: db, runID: runID, files: files, options: options)
        }
    }
}
