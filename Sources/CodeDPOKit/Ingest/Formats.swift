import Foundation

/// The formats `codedpo import --format` reads.
public enum ImportFormat: String, CaseIterable, Sendable {
    /// The interchange JSONL of DESIGN.md (the default).
    case jsonl
    /// HumanEval / HumanEval+ problems (task_id, prompt, entry_point, test, canonical_solution).
    case humaneval
    /// MBPP: CodeT's sanitized files, MBPP+ (assertion), or the original sanitized MBPP (test_list).
    case mbpp
    /// CodeT's generation files: {"prompt", "samples"} per line.
    case codet
    /// AgentCoder's JSON list with completion_list and test_case_list.
    case agentcoder

    /// Formats whose file is one JSON document (a list), not JSON lines.
    var isJSONDocument: Bool { self == .agentcoder }

    public var kinds: [ImportKind] {
        switch self {
        case .jsonl: return ImportKind.allCases
        case .humaneval, .mbpp: return [.problems, .solutions]
        case .codet: return [.problems, .solutions, .tests]
        case .agentcoder: return [.problems, .solutions, .tests]
        }
    }
}

/// What a format needs beyond the item itself.
public struct FormatContext {
    public var kind: ImportKind
    public var testKind: TestKind?
    public var model: String?
    public var testsPerSample: Int
    public var helper: () throws -> PythonLineService
    public var resolve: (ProblemReference) throws -> KnownProblem
    /// Set with --plus-tests: runs canonical solutions for evalplus inputs' expected values.
    public var expected: ExpectedOutputs? = nil
}

/// Turns one parsed item (a JSONL line or a list element) into records. Throws BadItem with
/// a reason that names the field.
enum FormatReader {
    static func records(_ item: JSON, format: ImportFormat, context: FormatContext) throws -> [Record] {
        guard case .object = item else { throw BadItem("expected a JSON object, found \(item.typeName)") }
        switch (format, context.kind) {
        case (.jsonl, .problems): return [.problem(try interchangeProblem(item))]
        case (.jsonl, .solutions): return [.solution(try interchangeSolution(item, context))]
        case (.jsonl, .tests): return [.test(try interchangeTest(item, context))]
        case (.jsonl, .seeds): return [.seed(try interchangeSeed(item))]
        case (.humaneval, .problems), (.codet, .problems), (.agentcoder, .problems):
            return [.problem(try humanEvalProblem(item, context))]
        case (.humaneval, .solutions), (.mbpp, .solutions): return try canonicalSolution(item, context).map { [.solution($0)] } ?? []
        case (.mbpp, .problems): return [.problem(try mbppProblem(item, context))]
        case (.codet, .solutions): return try codetSolutions(item, context).map(Record.solution)
        case (.codet, .tests): return try codetTests(item, context).map(Record.test)
        case (.agentcoder, .solutions): return try agentCoderSolutions(item, context).map(Record.solution)
        case (.agentcoder, .tests): return try agentCoderTests(item, context).map(Record.test)
        default:
            throw BadItem("--format \(format.rawValue) has no \(context.kind.rawValue) (it reads: \(format.kinds.map(\.rawValue).joined(separator: ", ")))")
        }
    }

    // MARK: Field access with errors that say what is wrong

    static func string(_ item: JSON, _ key: String, required: Bool = true) throws -> String? {
        guard let value = item[key], !value.isNull else {
            if required { throw BadItem("missing field \"\(key)\"") }
            return nil
        }
        guard let text = value.stringValue else { throw BadItem("field \"\(key)\" must be a string, found \(value.typeName)") }
        return text
    }

    static func requiredString(_ item: JSON, _ key: String) throws -> String {
        try string(item, key)!
    }

    /// `task_id` may be a string or (original MBPP) a number.
    static func taskID(_ item: JSON, prefix: String = "") throws -> String {
        guard let value = item["task_id"] else { throw BadItem("missing field \"task_id\"") }
        if let text = value.stringValue { return text }
        if let number = value.intValue { return prefix + String(number) }
        throw BadItem("field \"task_id\" must be a string or a number, found \(value.typeName)")
    }

    static let solutionFields: Set<String> = ["problem", "code", "count", "model"]

    static func metadata(_ item: JSON, known: Set<String>) throws -> JSON? {
        var members: [(String, JSON)] = []
        if let given = item["metadata"], !given.isNull {
            guard let object = given.objectValue else { throw BadItem("field \"metadata\" must be an object, found \(given.typeName)") }
            members = object
        }
        for (key, value) in item.objectValue ?? [] where !known.contains(key) && key != "metadata" {
            members.append((key, value))
        }
        return members.isEmpty ? nil : .object(members)
    }

    static func count(_ item: JSON) throws -> Int {
        guard let value = item["count"], !value.isNull else { return 1 }
        guard let count = value.intValue, count >= 1, count <= Int64(Int32.max) else {
            throw BadItem("field \"count\" must be a whole number >= 1, found \(value.text)")
        }
        return Int(count)
    }

    // MARK: Interchange JSONL

    static func interchangeProblem(_ item: JSON) throws -> ProblemRecord {
        let id = try requiredString(item, "id")
        guard !id.isEmpty else { throw BadItem("field \"id\" is empty") }
        let prompt = try requiredString(item, "prompt")
        guard !Normalize.text(prompt).isEmpty else { throw BadItem("field \"prompt\" is empty") }
        return ProblemRecord(externalID: id, prompt: prompt, entryPoint: try string(item, "entry_point", required: false),
                             language: try string(item, "language", required: false) ?? "python",
                             metadata: try metadata(item, known: ["id", "prompt", "entry_point", "language"]),
                             groundTruthTests: [])
    }

    static func interchangeSolution(_ item: JSON, _ context: FormatContext) throws -> SolutionRecord {
        let problem = try requiredString(item, "problem")
        let code = try requiredString(item, "code")
        return SolutionRecord(problem: .id(problem), code: code, count: try count(item),
                              model: try string(item, "model", required: false) ?? context.model,
                              metadata: try metadata(item, known: solutionFields), part: nil)
    }

    static func interchangeTest(_ item: JSON, _ context: FormatContext) throws -> TestRecord {
        let problem = try requiredString(item, "problem")
        let code = try requiredString(item, "code")
        guard !Normalize.text(code).isEmpty else { throw BadItem("field \"code\" is empty") }
        var kind = context.testKind ?? .generated
        if let text = try string(item, "kind", required: false) {
            guard let parsed = TestKind(rawValue: text) else {
                throw BadItem("field \"kind\" must be \"generated\" or \"ground_truth\", found \"\(text)\"")
            }
            kind = parsed
        }
        return TestRecord(problem: .id(problem), code: code, kind: kind, count: try count(item),
                          model: try string(item, "model", required: false) ?? context.model,
                          metadata: try metadata(item, known: ["problem", "code", "kind", "count", "model"]), part: nil)
    }

    static func interchangeSeed(_ item: JSON) throws -> SeedRecord {
        let content = try requiredString(item, "content")
        guard !Normalize.text(content).isEmpty else { throw BadItem("field \"content\" is empty") }
        return SeedRecord(content: content, language: try string(item, "language", required: false) ?? "python",
                          kind: try string(item, "kind", required: false) ?? "snippet",
                          name: try string(item, "name", required: false), path: nil, startLine: nil, endLine: nil,
                          metadata: try metadata(item, known: ["content", "language", "source", "kind", "name"]),
                          locator: try string(item, "source", required: false))
    }

    // MARK: HumanEval (also CodeT's problem files and AgentCoder's records)

    static let humanEvalFields: Set<String> = ["task_id", "prompt", "entry_point", "test", "canonical_solution",
                                               "completion_list", "test_case_list", "full_code", "completion",
                                               "base_input", "plus_input"]

    static func humanEvalProblem(_ item: JSON, _ context: FormatContext) throws -> ProblemRecord {
        let id = try taskID(item)
        let prompt = try requiredString(item, "prompt")
        let entryPoint = try requiredString(item, "entry_point").trimmingCharacters(in: .whitespaces)
        var tests: [String] = []
        if let test = try string(item, "test", required: false) {
            tests = try splitCheck(test, entryPoint: entryPoint, names: ["candidate"], context)
        }
        let extra = try metadata(item, known: humanEvalFields)?.objectValue ?? []
        return try problemRecord(item, id: id, prompt: prompt, entryPoint: entryPoint, tests: tests, extra: extra, context)
    }

    /// A HumanEval-style problem record: the canonical solution kept in its metadata and, for
    /// HumanEval+ / MBPP+ with `--plus-tests`, the base and plus inputs as labelled tests.
    static func problemRecord(_ item: JSON, id: String, prompt: String, entryPoint: String, tests: [String],
                              extra: [(String, JSON)], _ context: FormatContext) throws -> ProblemRecord {
        var extra = extra
        var labeled: [LabeledTest] = []
        if let canonical = try string(item, "canonical_solution", required: false) {
            extra.insert(("canonical_solution", .string(canonical)), at: 0)
            let program = canonical.contains("def \(entryPoint)") ? canonical : prompt + canonical
            let (made, skipped) = try evalPlusTests(item, entryPoint: entryPoint, program: program, context)
            labeled = made
            if skipped > 0 { extra.append(("evalplus_inputs_without_expected_value", .int(Int64(skipped)))) }
        }
        var record = ProblemRecord(externalID: id, prompt: prompt, entryPoint: entryPoint, language: "python",
                                   metadata: extra.isEmpty ? nil : .object(extra), groundTruthTests: tests)
        if context.expected != nil && item["base_input"] != nil {
            // evalplus scores with its inputs alone (the check's asserts are the base inputs
            // compared exactly; base_input compares with atol), so the tests are exactly those.
            record.groundTruthTests = []
            record.labeledTests = labeled
        }
        return record
    }

    static func splitCheck(_ test: String, entryPoint: String, names: [String], _ context: FormatContext) throws -> [String] {
        let reply = try context.helper().call(.object([
            ("op", "split_check"), ("test", .string(test)), ("entry_point", .string(entryPoint)), ("names", JSON(names)),
        ]))
        if let error = reply["error"]?.stringValue { throw BadItem("its \"test\" does not parse as Python: \(error)") }
        return reply["tests"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    /// The reference solution as a solution (model "canonical"), so it can be executed and
    /// used as a known-correct program; it does not take part in scoring unless imported.
    static func canonicalSolution(_ item: JSON, _ context: FormatContext) throws -> SolutionRecord? {
        let id = try taskID(item, prefix: "Mbpp/")
        guard let canonical = try string(item, "canonical_solution", required: false) ?? string(item, "code", required: false) else {
            throw BadItem("missing field \"canonical_solution\"")
        }
        let entryPoint = try string(item, "entry_point", required: false)?.trimmingCharacters(in: .whitespaces)
        let prompt = try string(item, "prompt", required: false) ?? ""
        let isWholeProgram = entryPoint.map { canonical.contains("def \($0)") } ?? true
        let code = isWholeProgram ? canonical : prompt + canonical
        return SolutionRecord(problem: .id(id), code: code, count: 1, model: context.model ?? "canonical",
                              metadata: nil, part: nil)
    }

    // MARK: MBPP

    static func mbppProblem(_ item: JSON, _ context: FormatContext) throws -> ProblemRecord {
        if let testList = item["test_list"] {
            // The original sanitized MBPP: a text description, the code, and a list of asserts.
            let id = try taskID(item, prefix: "Mbpp/")
            let description = try string(item, "prompt", required: false) ?? string(item, "text", required: false) ?? ""
            guard let asserts = testList.arrayValue?.compactMap(\.stringValue), !asserts.isEmpty else {
                throw BadItem("field \"test_list\" must be a non-empty list of strings")
            }
            let imports = (item["test_imports"]?.arrayValue ?? []).compactMap(\.stringValue)
            // The function under test: the first function the code defines that the asserts call.
            let code = try string(item, "code", required: false) ?? ""
            let defined = code.split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("def ") else { return nil }
                return line.dropFirst(4).split(separator: "(").first.map { $0.trimmingCharacters(in: .whitespaces) }
            }
            let entryPoint = defined.first { name in asserts.contains { $0.contains(name + "(") } }
            let head = imports.isEmpty ? "" : imports.joined(separator: "\n") + "\n"
            return ProblemRecord(externalID: id, prompt: description, entryPoint: entryPoint, language: "python",
                                 metadata: try metadata(item, known: ["task_id", "prompt", "text", "test_list", "test_imports", "code"]),
                                 groundTruthTests: asserts.map { head + $0 + "\n" })
        }
        let id = try taskID(item)
        let prompt = try requiredString(item, "prompt")
        let entryPoint = try requiredString(item, "entry_point").trimmingCharacters(in: .whitespaces)
        var tests: [String]
        if let assertion = try string(item, "assertion", required: false) {
            let reply = try context.helper().call(.object([("op", "module_asserts"), ("code", .string(assertion)), ("names", JSON([entryPoint]))]))
            if let error = reply["error"]?.stringValue { throw BadItem("its \"assertion\" does not parse as Python: \(error)") }
            tests = reply["tests"]?.arrayValue?.compactMap(\.stringValue) ?? []
        } else {
            tests = try splitCheck(try requiredString(item, "test"), entryPoint: entryPoint, names: ["candidate", entryPoint], context)
        }
        let extra = try metadata(item, known: humanEvalFields.union(["assertion", "atol", "contract"]))?.objectValue ?? []
        return try problemRecord(item, id: id, prompt: prompt, entryPoint: entryPoint, tests: tests, extra: extra, context)
    }

    // MARK: CodeT

    /// CodeT cuts code samples at the first of these.
    static let codetStops = ["\nclass", "\ndef", "\n#", "\nif", "\nprint"]

    static func cutAtStops(_ text: String) -> String {
        var end = text.endIndex
        for stop in codetStops {
            if let range = text.range(of: stop), range.lowerBound < end { end = range.lowerBound }
        }
        return String(text[..<end])
    }

    static func samples(_ item: JSON) throws -> (prompt: String, samples: [String]) {
        let prompt = try requiredString(item, "prompt")
        guard let list = item["samples"]?.arrayValue else { throw BadItem("missing field \"samples\" (a list of strings)") }
        let samples = try list.enumerated().map { index, sample -> String in
            guard let text = sample.stringValue else { throw BadItem("samples[\(index)] must be a string, found \(sample.typeName)") }
            return text
        }
        return (prompt, samples)
    }

    static func codetSolutions(_ item: JSON, _ context: FormatContext) throws -> [SolutionRecord] {
        let (prompt, samples) = try samples(item)
        _ = try context.resolve(.prompt(prompt))
        return samples.enumerated().map { index, sample in
            SolutionRecord(problem: .prompt(prompt), code: prompt + cutAtStops(sample), count: 1,
                           model: context.model, metadata: nil, part: "sample \(index)")
        }
    }

    static func codetTests(_ item: JSON, _ context: FormatContext) throws -> [TestRecord] {
        let (prompt, samples) = try samples(item)
        let problem = try context.resolve(.prompt(prompt))
        guard let entryPoint = problem.entryPoint else { throw BadItem("problem \(problem.externalID) has no entry point to find tests by") }
        var records: [TestRecord] = []
        for (index, sample) in samples.enumerated() {
            let reply = try context.helper().call(.object([
                ("op", "codet_tests"), ("sample", .string(sample)), ("entry_point", .string(entryPoint)),
                ("limit", .int(Int64(context.testsPerSample))),
            ]))
            if let error = reply["error"]?.stringValue { throw BadItem("sample \(index): \(error)") }
            for (number, test) in (reply["tests"]?.arrayValue ?? []).compactMap(\.stringValue).enumerated() {
                records.append(TestRecord(problem: .prompt(prompt), code: test + "\n", kind: context.testKind ?? .generated,
                                          count: 1, model: context.model, metadata: nil, part: "sample \(index) test \(number)"))
            }
        }
        return records
    }

    // MARK: AgentCoder

    static func agentCoderSolutions(_ item: JSON, _ context: FormatContext) throws -> [SolutionRecord] {
        let id = try taskID(item)
        let prompt = try requiredString(item, "prompt")
        let entryPoint = try requiredString(item, "entry_point").trimmingCharacters(in: .whitespaces)
        guard let completions = item["completion_list"]?.arrayValue else { throw BadItem("missing field \"completion_list\"") }
        var records: [SolutionRecord] = []
        for (index, completion) in completions.enumerated() {
            guard let text = completion.stringValue else { throw BadItem("completion_list[\(index)] must be a string") }
            guard !Normalize.text(text).isEmpty else { continue }
            // AgentCoder's own executor runs a completion on its own when it defines the
            // entry point; a bare body needs the prompt in front of it.
            let code = text.contains("def \(entryPoint)") ? text : prompt + text
            records.append(SolutionRecord(problem: .id(id), code: code, count: 1, model: context.model ?? "gpt-3.5-turbo-1106",
                                          metadata: nil, part: "completion \(index)"))
        }
        return records
    }

    static func agentCoderTests(_ item: JSON, _ context: FormatContext) throws -> [TestRecord] {
        let id = try taskID(item)
        let entryPoint = try requiredString(item, "entry_point").trimmingCharacters(in: .whitespaces)
        guard let blocks = item["test_case_list"]?.arrayValue else { throw BadItem("missing field \"test_case_list\"") }
        var records: [TestRecord] = []
        for (index, block) in blocks.enumerated() {
            guard let text = block.stringValue else { throw BadItem("test_case_list[\(index)] must be a string") }
            let reply = try context.helper().call(.object([("op", "assert_lines"), ("block", .string(text)), ("entry_point", .string(entryPoint))]))
            if let error = reply["error"]?.stringValue { throw BadItem("test_case_list[\(index)]: \(error)") }
            for (number, test) in (reply["tests"]?.arrayValue ?? []).compactMap(\.stringValue).enumerated() {
                records.append(TestRecord(problem: .id(id), code: test, kind: context.testKind ?? .generated, count: 1,
                                          model: context.model ?? "gpt-3.5-turbo-1106", metadata: nil,
                                          part: "block \(index) test \(number)"))
            }
        }
        return records
    }
}
