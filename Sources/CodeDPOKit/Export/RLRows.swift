/// One problem with the tests a score run trusts, as the RL exports need it.
public struct ProblemTests: Sendable {
    public var problem: String
    public var prompt: String
    public var entryPoint: String?
    public var language: String
    public var tests: [TrustedTest]

    public init(problem: String, prompt: String, entryPoint: String?, language: String, tests: [TrustedTest]) {
        self.problem = problem
        self.prompt = prompt
        self.entryPoint = entryPoint
        self.language = language
        self.tests = tests
    }
}

/// Rows of the reinforcement-learning formats, pure: a prompt the policy answers, and what a
/// reward function needs to run the answer against the trusted tests.
public enum RLRows {
    /// verl's data_source: verl picks a scorer by it, so the rows name their origin and a
    /// custom reward function (examples/code_reward.py `compute_score`) scores them.
    public static let dataSource = "codedpo"

    /// The JSON line of one problem in an RL format; `index` numbers the rows of a split.
    public static func line(_ problem: ProblemTests, format: ExportFormat, split: String, index: Int) -> JSON {
        let instruction = ExportText.instruction(prompt: problem.prompt)
        let tests = JSON(problem.tests.map(\.code))
        let trust = JSON.array(relativeTrust(problem.tests).map { JSON($0) })
        let entryPoint = JSON(problem.entryPoint)
        switch format {
        case .grpo:
            // Every column but `prompt` reaches the reward functions as a keyword argument.
            return .object([("prompt", ExportText.messages("user", instruction)), ("problem", .string(problem.problem)),
                            ("tests", tests), ("test_trust", trust), ("entry_point", entryPoint), ("language", .string(problem.language))])
        case .verl:
            return .object([("data_source", .string(dataSource)), ("prompt", ExportText.messages("user", instruction)), ("ability", "code"),
                            ("reward_model", .object([("style", "rule"), ("ground_truth", .string(groundTruth(problem).text))])),
                            ("extra_info", .object([("split", .string(split)), ("index", .int(Int64(index))), ("problem", .string(problem.problem)),
                                                    ("entry_point", entryPoint), ("test_trust", trust)]))])
        case .openrlhfRL:
            let label: JSON = .object([("tests", tests), ("entry_point", entryPoint), ("language", .string(problem.language))])
            return .object([("input", .string(instruction)), ("label", .string(label.text)), ("problem", .string(problem.problem))])
        default:
            preconditionFailure("\(format.rawValue) is made from pairs (ExportText), not problems")
        }
    }

    /// Each test's trust relative to the problem's most trusted test (1 = as trusted as the
    /// best): raw scores are meaningful only within one problem and score run (PageRank-like
    /// scores grow with the number of solutions and iterations). Nil where the strategy
    /// scores no tests.
    public static func relativeTrust(_ tests: [TrustedTest]) -> [Double?] {
        let top = tests.compactMap(\.trust).max() ?? 0
        return tests.map { test in test.trust.map { top > 0 ? (($0 / top) * 10_000).rounded() / 10_000 : 0 } }
    }

    /// verl's ground truth: the asserts for its sandbox scorer, and, when every assert is
    /// `assert f(args) == value` over JSON-exact literals, inputs / outputs / fn_name for its
    /// prime_code scorer (which calls f(*inputs[i]) and compares with outputs[i]).
    public static func groundTruth(_ problem: ProblemTests) -> JSON {
        var fields: [(String, JSON)] = [("assert_case", JSON(problem.tests.map(\.code)))]
        if let entryPoint = problem.entryPoint {
            let calls = problem.tests.map { PythonLiteral.call(assert: $0.code, function: entryPoint) }
            if !calls.isEmpty, calls.allSatisfy({ $0 != nil }) {
                fields += [("inputs", .array(calls.map { .array($0!.arguments) })), ("outputs", .array(calls.map { $0!.expected })),
                           ("fn_name", .string(entryPoint))]
            }
        }
        return .object(fields)
    }

    /// Checks a written RL line beyond its fields; returns what is wrong, or nil.
    static func problem(in object: JSON, format: ExportFormat) -> String? {
        switch format {
        case .grpo:
            guard let tests = object["tests"]?.arrayValue, tests.allSatisfy({ !($0.stringValue ?? "").isEmpty }) else { return "\"tests\" must be a list of test programs" }
            guard object["prompt"]?.arrayValue?.first?["role"] == "user" else { return "\"prompt\" must be a user message" }
        case .verl:
            guard let text = object["reward_model"]?["ground_truth"]?.stringValue, let truth = try? JSON.parse(text),
                  !(truth["assert_case"]?.arrayValue ?? []).isEmpty else { return "\"reward_model.ground_truth\" must be JSON text with \"assert_case\"" }
            guard object["reward_model"]?["style"] == "rule" else { return "\"reward_model.style\" must be \"rule\"" }
        case .openrlhfRL:
            guard let text = object["label"]?.stringValue, let label = try? JSON.parse(text), !(label["tests"]?.arrayValue ?? []).isEmpty else {
                return "\"label\" must be JSON text with \"tests\""
            }
        default: break
        }
        return nil
    }
}
