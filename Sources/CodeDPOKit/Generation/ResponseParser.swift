import Foundation

/// What a model's answer yielded, as the embedded Python helper (`generation_helper.py`)
/// found it with Python's own parser.
public enum ParsedAnswer: Sendable, Equatable {
    case problem(prompt: String, entryPoint: String, concept: String?, description: String?, details: JSON)
    case solution(code: String, details: JSON)
    case tests([String], details: JSON)
    case unparseable(reason: String, details: JSON?)

    public var isParsed: Bool { if case .unparseable = self { return false } else { return true } }
}

/// What one answer is parsed against.
public struct ParseRequest: Sendable {
    public var stage: GenerationStage
    public var api: GenerationAPI
    public var text: String
    /// The problem's prompt and entry point (solutions and tests).
    public var prompt: String?
    public var entryPoint: String?
    /// For a completion API: the text the answer continues.
    public var prefix: String?

    public init(stage: GenerationStage, api: GenerationAPI, text: String, prompt: String? = nil, entryPoint: String? = nil, prefix: String? = nil) {
        self.stage = stage
        self.api = api
        self.text = text
        self.prompt = prompt
        self.entryPoint = entryPoint
        self.prefix = prefix
    }

    var json: JSON {
        var members: [(String, JSON)] = [
            ("op", .string(stage == .problems ? "problem" : stage == .solutions ? "solution" : "tests")),
            ("text", .string(text)), ("api", .string(api.rawValue)),
        ]
        if let prompt { members.append(("prompt", .string(prompt))) }
        if let entryPoint { members.append(("entry_point", .string(entryPoint))) }
        if let prefix { members.append(("prefix", .string(prefix))) }
        return .object(members)
    }
}

/// Parses answers in batches through one long-lived Python process.
public final class ResponseParser {
    private let service: PythonLineService

    public init(python: String? = nil) throws {
        service = try PythonLineService(interpreter: try PythonInterpreter.resolve(python), helper: "generation_helper.py")
    }

    /// Parses every request with one round trip to Python.
    public func parse(_ requests: [ParseRequest]) throws -> [ParsedAnswer] {
        guard !requests.isEmpty else { return [] }
        let reply = try service.call(.object([("op", "batch"), ("items", .array(requests.map(\.json)))]))
        guard let results = reply["results"]?.arrayValue, results.count == requests.count else {
            throw GenerationError("the generation helper answered unexpectedly: \(reply["error"]?.stringValue ?? reply.text.prefix(300).description)")
        }
        return zip(requests, results).map { Self.answer($1, stage: $0.stage) }
    }

    static func answer(_ result: JSON, stage: GenerationStage) -> ParsedAnswer {
        switch stage {
        case .problems:
            if let prompt = result["prompt"]?.stringValue, let entryPoint = result["entry_point"]?.stringValue {
                return .problem(prompt: prompt, entryPoint: entryPoint, concept: result["concept"]?.stringValue,
                                description: result["description"]?.stringValue,
                                details: .object([("source", result["source"] ?? .null)]))
            }
        case .solutions:
            if let code = result["code"]?.stringValue {
                return .solution(code: code, details: .object([("source", result["source"] ?? .null), ("dropped_statements", result["dropped"] ?? .int(0))]))
            }
        case .tests:
            let dropped = result["dropped"] ?? .array([])
            let tests = (result["tests"]?.arrayValue ?? []).compactMap(\.stringValue)
            if !tests.isEmpty {
                return .tests(tests, details: .object([("kept", .int(Int64(tests.count))), ("dropped", dropped)]))
            }
            return .unparseable(reason: result["error"]?.stringValue ?? "no usable assert", details: .object([("kept", .int(0)), ("dropped", dropped)]))
        }
        return .unparseable(reason: result["error"]?.stringValue ?? "the helper found nothing", details: nil)
    }
}
