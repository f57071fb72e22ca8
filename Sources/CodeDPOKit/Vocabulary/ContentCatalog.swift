import Foundation

/// Where one row came from: a source (a file, an endpoint), the place in it, and what the
/// source said about the row. One provenance row per (row, source, locator).
public struct Provenance: Sendable {
    public var sourceID: Int64
    /// "line 12", "line 12 sample 3", "generation 40 choice 2 test 0".
    public var locator: String
    public var model: String?
    public var metadata: JSON?
    /// The LLM request the row came from (`codedpo generate`); nil for files.
    public var generationID: Int64?

    public init(sourceID: Int64, locator: String, model: String? = nil, metadata: JSON? = nil, generationID: Int64? = nil) {
        self.sourceID = sourceID
        self.locator = locator
        self.model = model
        self.metadata = metadata
        self.generationID = generationID
    }
}

/// What writing one item to the catalog did.
public enum CatalogOutcome: Sendable, Equatable {
    /// A new row.
    case added
    /// The row existed (same content hash) and got one more provenance record.
    case merged
    /// This very provenance was recorded before (the same place imported again).
    case unchanged
}

/// Writes problems, solutions, tests and seeds by content hash with their provenance: the
/// same normalized code imported or generated twice is one row with two provenance records,
/// and its `sample_count` adds up the samples. Import and generate both write through it.
/// Callers normalize and hash first (`Normalize`); statements are prepared once per catalog.
public final class ContentCatalog {
    let db: Database
    let runID: Int64

    private lazy var insertSolution = try! db.prepare("""
        INSERT INTO solutions (problem_id, content_hash, code, sample_count, run_id) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (problem_id, content_hash) DO NOTHING
        """)
    private lazy var findSolution = try! db.prepare("SELECT id FROM solutions WHERE problem_id = ? AND content_hash = ?")
    private lazy var insertSolutionSource = try! db.prepare("""
        INSERT INTO solution_sources (solution_id, source_id, locator, run_id, count, model, metadata, generation_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (solution_id, source_id, locator) DO NOTHING
        """)
    private lazy var countSolution = try! db.prepare("UPDATE solutions SET sample_count = sample_count + ? WHERE id = ?")
    private lazy var insertTest = try! db.prepare("""
        INSERT INTO tests (problem_id, kind, content_hash, code, sample_count, run_id, test_set) VALUES (?, ?, ?, ?, 0, ?, ?)
        ON CONFLICT (problem_id, kind, content_hash) DO NOTHING
        """)
    private lazy var findTest = try! db.prepare("SELECT id FROM tests WHERE problem_id = ? AND kind = ? AND content_hash = ?")
    private lazy var insertTestSource = try! db.prepare("""
        INSERT INTO test_sources (test_id, source_id, locator, run_id, count, model, metadata, generation_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (test_id, source_id, locator) DO NOTHING
        """)
    private lazy var countTest = try! db.prepare("UPDATE tests SET sample_count = sample_count + ? WHERE id = ?")

    public init(db: Database, runID: Int64) {
        self.db = db
        self.runID = runID
    }

    /// The problem row a new problem is, if any: a problem id already taken by another
    /// prompt is refused; the same prompt under another id is one problem.
    public func existingProblem(externalID: String, hash: String) throws -> Int64? {
        if let row = try db.rows("SELECT id, content_hash, run_id FROM problems WHERE external_id = ?", externalID).first {
            guard row[1].string == hash else {
                throw BadItem("problem \"\(externalID)\" already exists with a different prompt or entry point (imported by run \(row[2].int ?? 0)); give this one another id")
            }
            return row[0].int64
        }
        return try db.int("SELECT id FROM problems WHERE content_hash = ?", hash).map(Int64.init)
    }

    /// Writes a problem (`existing`: what `existingProblem` found). A generated problem names
    /// its seed and LLM request; an existing row keeps the first ones it had.
    public func writeProblem(_ problem: ProblemRecord, hash: String, existing: Int64?, seedID: Int64? = nil,
                             provenance: Provenance) throws -> (id: Int64, outcome: CatalogOutcome) {
        let problemID: Int64
        if let existing {
            problemID = existing
            if seedID != nil || provenance.generationID != nil {
                try db.run("UPDATE problems SET seed_id = ifnull(seed_id, ?), generation_id = ifnull(generation_id, ?) WHERE id = ?",
                           seedID, provenance.generationID, problemID)
            }
        } else {
            try db.run("""
                INSERT INTO problems (external_id, content_hash, prompt, entry_point, language, metadata, run_id, seed_id, generation_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, problem.externalID, hash, problem.prompt, problem.entryPoint, problem.language, problem.metadata?.text, runID,
                       seedID, provenance.generationID)
            problemID = db.lastInsertRowID
        }
        try db.run("""
            INSERT INTO problem_sources (problem_id, source_id, locator, run_id, external_id, metadata) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT DO NOTHING
            """, problemID, provenance.sourceID, provenance.locator, runID, problem.externalID, provenance.metadata?.text)
        if existing == nil { return (problemID, .added) }
        return (problemID, db.changes == 0 ? .unchanged : .merged)
    }

    /// Writes one solution sampled `count` times.
    public func writeSolution(problemID: Int64, code: String, hash: String, count: Int,
                              provenance: Provenance) throws -> (id: Int64, outcome: CatalogOutcome) {
        insertSolution.reset()
        try insertSolution.bind(problemID, at: 1)
        try insertSolution.bind(hash, at: 2)
        try insertSolution.bind(code, at: 3)
        // A new solution's only source is this one, so its count is known now: no
        // second write of the row to update it.
        try insertSolution.bind(Int64(count), at: 4)
        try insertSolution.bind(runID, at: 5)
        try insertSolution.step()
        insertSolution.reset()
        let isNew = db.changes == 1
        let solutionID: Int64
        if isNew {
            solutionID = db.lastInsertRowID
        } else {
            try findSolution.bind(problemID, at: 1)
            try findSolution.bind(hash, at: 2)
            _ = try findSolution.step()
            solutionID = findSolution.int64(at: 0)
            findSolution.reset()
        }
        try insertSolutionSource.bind(solutionID, at: 1)
        try insertSolutionSource.bind(provenance.sourceID, at: 2)
        try insertSolutionSource.bind(provenance.locator, at: 3)
        try insertSolutionSource.bind(runID, at: 4)
        try insertSolutionSource.bind(Int64(count), at: 5)
        try insertSolutionSource.bind(provenance.model, at: 6)
        try insertSolutionSource.bind(provenance.metadata?.text, at: 7)
        try insertSolutionSource.bind(provenance.generationID, at: 8)
        try insertSolutionSource.step()
        insertSolutionSource.reset()
        guard db.changes == 1 else { return (solutionID, .unchanged) }
        if isNew { return (solutionID, .added) }
        try countSolution.bind(Int64(count), at: 1)
        try countSolution.bind(solutionID, at: 2)
        try countSolution.step()
        countSolution.reset()
        return (solutionID, .merged)
    }

    /// Writes one test sampled `count` times.
    /// testSet: a benchmark test's set (base or plus; `tests.test_set`), nil for other tests.
    public func writeTest(problemID: Int64, kind: TestKind, code: String, hash: String, count: Int,
                          provenance: Provenance, testSet: String? = nil) throws -> (id: Int64, outcome: CatalogOutcome) {
        try insertTest.bind(problemID, at: 1)
        try insertTest.bind(kind.rawValue, at: 2)
        try insertTest.bind(hash, at: 3)
        try insertTest.bind(code, at: 4)
        try insertTest.bind(runID, at: 5)
        try insertTest.bind(testSet, at: 6)
        try insertTest.step()
        insertTest.reset()
        let isNew = db.changes == 1
        let testID: Int64
        if isNew {
            testID = db.lastInsertRowID
        } else {
            try findTest.bind(problemID, at: 1)
            try findTest.bind(kind.rawValue, at: 2)
            try findTest.bind(hash, at: 3)
            _ = try findTest.step()
            testID = findTest.int64(at: 0)
            findTest.reset()
        }
        try insertTestSource.execute(testID, provenance.sourceID, provenance.locator, runID, count, provenance.model,
                                     provenance.metadata?.text, provenance.generationID)
        guard db.changes == 1 else { return (testID, .unchanged) }
        try countTest.execute(count, testID)
        return (testID, isNew ? .added : .merged)
    }

    /// Writes one seed; its place in the file (path, lines) goes with the provenance.
    public func writeSeed(_ seed: SeedRecord, content: String, hash: String, provenance: Provenance) throws -> (id: Int64, outcome: CatalogOutcome) {
        try db.run("INSERT INTO seeds (content_hash, content, language, kind, name, run_id) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                   hash, content, seed.language, seed.kind, seed.name, runID)
        let isNew = db.changes == 1
        let seedID = isNew ? db.lastInsertRowID : Int64(try db.int("SELECT id FROM seeds WHERE content_hash = ?", hash)!)
        try db.run("""
            INSERT INTO seed_sources (seed_id, source_id, locator, run_id, path, start_line, end_line, metadata)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """, seedID, provenance.sourceID, provenance.locator, runID, seed.path, seed.startLine, seed.endLine, seed.metadata?.text)
        if isNew { return (seedID, .added) }
        return (seedID, db.changes == 0 ? .unchanged : .merged)
    }
}
