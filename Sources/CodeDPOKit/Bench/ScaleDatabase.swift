import Foundation

/// A synthetic database at the paper's scale: N problems x 15 solutions x 15 generated tests
/// (plus one ground-truth test each), imported through the real import path, with synthetic
/// verdicts bulk-inserted through the store under the execution config `codedpo execute`
/// would use by default (so an `execute` afterwards has nothing to do).
///
/// The verdicts have the structure scoring looks for: per problem some solutions are correct
/// and some generated tests wrong; a correct solution passes every right test, a wrong one
/// passes some; wrong tests are passed at random. Correct solutions pass the ground truth.
public struct ScaleDatabase {
    public let problems: Int
    public let solutionsPerProblem: Int
    public let testsPerProblem: Int
    public let path: String
    public let scratch: URL

    public struct Built: Sendable {
        public var configID: Int64
        public var verdicts: Int
        public var importSeconds: Double
        /// Time the store took to insert the verdict rows (one transaction, reused statement).
        public var verdictSeconds: Double
        public var bytes: Int64
    }

    public init(problems: Int, solutionsPerProblem: Int = 15, testsPerProblem: Int = 15, path: String, scratch: URL) {
        self.problems = problems
        self.solutionsPerProblem = solutionsPerProblem
        self.testsPerProblem = testsPerProblem
        self.path = path
        self.scratch = scratch
    }

    /// The external id of problem `index`.
    public static func problemName(_ index: Int) -> String { "S/\(index)" }

    /// SplitMix64: a fixed sequence per problem, so every build has the same verdicts.
    struct Mixer {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    }

    func writeInputs() throws -> (problems: String, solutions: String, tests: String) {
        let files = (scratch.appendingPathComponent("problems.jsonl").path, scratch.appendingPathComponent("solutions.jsonl").path,
                     scratch.appendingPathComponent("tests.jsonl").path)
        for file in [files.0, files.1, files.2] {
            guard FileManager.default.createFile(atPath: file, contents: nil) else { throw StoreError("cannot write \(file)") }
        }
        let handles = try [files.0, files.1, files.2].map { path -> FileHandle in
            guard let handle = FileHandle(forWritingAtPath: path) else { throw StoreError("cannot write \(path)") }
            return handle
        }
        defer { for handle in handles { try? handle.close() } }
        var buffers = ["", "", ""]
        func flush(_ index: Int, force: Bool = false) {
            if force || buffers[index].utf8.count > 1 << 20 {
                handles[index].write(Data(buffers[index].utf8))
                buffers[index] = ""
            }
        }
        for p in 0..<problems {
            let name = Self.problemName(p)
            buffers[0] += #"{"id": "\#(name)", "prompt": "def f\#(p)(values, k):\n    \"\"\"Sum the multiples of \#(p % 89 + 2) in values, plus k.\"\"\"\n", "entry_point": "f\#(p)"}"# + "\n"
            for s in 0..<solutionsPerProblem {
                buffers[1] += #"{"problem": "\#(name)", "code": "def f\#(p)(values, k):\n    \"\"\"Sum the multiples of \#(p % 89 + 2) in values, plus k.\"\"\"\n    total = 0\n    for value in values:\n        if value % \#(p % 89 + 2) == \#(s):\n            total += value\n    return total + k\n", "count": \#(1 + (p + s) % 3), "model": "bench"}"# + "\n"
            }
            for t in 0..<testsPerProblem {
                buffers[2] += #"{"problem": "\#(name)", "code": "assert f\#(p)([\#(t), \#(t + 1), \#(t + 2)], \#(p)) == \#(3 * t + 3 + p)", "model": "bench"}"# + "\n"
            }
            buffers[2] += #"{"problem": "\#(name)", "code": "assert f\#(p)([], 1) == 1", "kind": "ground_truth"}"# + "\n"
            for index in 0..<3 { flush(index) }
        }
        for index in 0..<3 { flush(index, force: true) }
        return files
    }

    public func build() throws -> Built {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let (db, _) = try Workspace.initialize(path: path)
        let inputs = try writeInputs()
        defer { for file in [inputs.problems, inputs.solutions, inputs.tests] { try? FileManager.default.removeItem(atPath: file) } }
        let importStart = DispatchTime.now().uptimeNanoseconds
        for (file, kind) in [(inputs.problems, ImportKind.problems), (inputs.solutions, .solutions), (inputs.tests, .tests)] {
            _ = try RunLog(db).record(command: "import", argv: ["import", kind.rawValue, file], parameters: .object([])) { runID in
                try Importer.run(db: db, runID: runID, files: [file], options: ImportOptions(kind: kind))
            }
        }
        let importSeconds = Double(DispatchTime.now().uptimeNanoseconds - importStart) / 1e9

        // The config `codedpo execute` makes with its defaults and python3 on PATH.
        let runID = try RunLog(db).start(command: "bench verdicts", argv: ["bench", "scale"])
        let settings = ExecutionSettings(interpreter: try PythonInterpreter.resolve(nil))
        let configID = try settings.configID(in: db, runID: runID).id
        var solutionsOf: [Int64: [Int64]] = [:]
        try db.prepare("SELECT id, problem_id FROM solutions ORDER BY id").forEachRow {
            solutionsOf[$0.int64(at: 1), default: []].append($0.int64(at: 0))
        }
        var testsOf: [Int64: [(id: Int64, groundTruth: Bool)]] = [:]
        try db.prepare("SELECT id, problem_id, kind FROM tests ORDER BY id").forEachRow {
            testsOf[$0.int64(at: 1), default: []].append(($0.int64(at: 0), $0.string(at: 2) == "ground_truth"))
        }
        var verdicts = 0
        let verdictStart = DispatchTime.now().uptimeNanoseconds
        try db.transaction {
            let insert = try db.prepare("INSERT INTO executions (config_id, solution_id, test_id, status, duration_s, run_id) VALUES (?, ?, ?, ?, ?, ?)")
            for problem in solutionsOf.keys.sorted() {
                var mixer = Mixer(state: UInt64(problem) &* 0x5851_F42D_4C95_7F2D)
                let correctShare = mixer.unit()
                let tests = testsOf[problem] ?? []
                let wrongTest = tests.map { !$0.groundTruth && mixer.unit() < 0.2 }
                for solution in solutionsOf[problem] ?? [] {
                    let correct = mixer.unit() < correctShare
                    let skill = mixer.unit()
                    for (index, test) in tests.enumerated() {
                        let passed: Bool
                        if test.groundTruth { passed = correct } else if wrongTest[index] { passed = mixer.unit() < 0.3 } else {
                            passed = correct || mixer.unit() < skill
                        }
                        try insert.bind(configID, at: 1)
                        try insert.bind(solution, at: 2)
                        try insert.bind(test.id, at: 3)
                        try insert.bind(passed ? "pass" : (mixer.unit() < 0.1 ? "error" : "fail"), at: 4)
                        try insert.bind(0.001 + mixer.unit() * 0.01, at: 5)
                        try insert.bind(runID, at: 6)
                        _ = try insert.step()
                        insert.reset()
                        verdicts += 1
                    }
                }
            }
        }
        let verdictSeconds = Double(DispatchTime.now().uptimeNanoseconds - verdictStart) / 1e9
        try RunLog(db).finish(runID, status: .ok)
        try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        let bytes = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int64) ?? 0
        return Built(configID: configID, verdicts: verdicts, importSeconds: importSeconds, verdictSeconds: verdictSeconds, bytes: bytes)
    }
}
