/// What an import reads, before it is written: one format-independent record per item.

public enum ImportKind: String, CaseIterable, Sendable {
    case seeds, problems, solutions, tests
}

public enum TestKind: String, CaseIterable, Sendable {
    case generated
    case groundTruth = "ground_truth"
}

/// How a solution or test names its problem: by external id, or (CodeT's files) by prompt.
public enum ProblemReference: Equatable, Sendable, CustomStringConvertible {
    case id(String)
    case prompt(String)

    public var description: String {
        switch self {
        case .id(let id): return "problem \"\(id)\""
        case .prompt(let prompt):
            let head = prompt.split(separator: "\n").first(where: { $0.contains("def ") }) ?? prompt.prefix(60)
            return "the problem whose prompt starts \"\(head.trimmingCharacters(in: .whitespaces))\""
        }
    }
}

public struct ProblemRecord: Sendable {
    public var externalID: String
    public var prompt: String
    public var entryPoint: String?
    public var language: String
    public var metadata: JSON?
    /// Ground-truth tests that come with the problem (HumanEval's check, MBPP's asserts).
    public var groundTruthTests: [String]
    /// evalplus base_input / plus_input tests, labeled with their test set.
    public var labeledTests: [LabeledTest] = []
}

public struct SolutionRecord: Sendable {
    public var problem: ProblemReference
    /// The whole program tests run against (prompt + completion for completions).
    public var code: String
    public var count: Int
    public var model: String?
    public var metadata: JSON?
    /// Where in the item this came from, appended to the item's locator (e.g. "sample 3").
    public var part: String?
}

public struct TestRecord: Sendable {
    public var problem: ProblemReference
    public var code: String
    public var kind: TestKind
    public var count: Int
    public var model: String?
    public var metadata: JSON?
    public var part: String?
}

public struct SeedRecord: Sendable {
    public var content: String
    public var language: String
    public var kind: String
    public var name: String?
    public var path: String?
    public var startLine: Int?
    public var endLine: Int?
    public var metadata: JSON?
    public var locator: String?
}

public enum Record: Sendable {
    case problem(ProblemRecord)
    case solution(SolutionRecord)
    case test(TestRecord)
    case seed(SeedRecord)
}

/// A problem already in the database, as formats need it (CodeT's tests need the entry point).
public struct KnownProblem: Sendable {
    public let id: Int64
    public let externalID: String
    public let entryPoint: String?
    public let prompt: String
}

/// A line (or item) that cannot be imported, with the reason.
public struct BadItem: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A ground-truth test with its test set and provenance (evalplus inputs).
public struct LabeledTest: Sendable {
    public var code: String
    public var testSet: String
    public var metadata: JSON?
}
