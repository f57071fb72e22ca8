import Foundation

/// What `codedpo generate` produces: problems from seeds, solutions and tests for problems.
public enum GenerationStage: String, CaseIterable, Sendable {
    case problems, solutions, tests

    /// The value of `generations.stage`.
    public var rowStage: String {
        switch self {
        case .problems: return "problem"
        case .solutions: return "solution"
        case .tests: return "test"
        }
    }

    /// The placeholders a template of this stage may use.
    public var variables: [String] {
        switch self {
        case .problems: return ["seed", "language", "seed_name"]
        case .solutions, .tests: return ["prompt", "entry_point", "language", "problem_id"]
        }
    }
}

/// The two OpenAI-compatible APIs: chat (instruction-tuned models) and completions (base models).
public enum GenerationAPI: String, CaseIterable, Sendable {
    case chat, completion

    public var path: String { self == .chat ? "chat/completions" : "completions" }
}

/// What is sent: chat messages or a completion prompt.
public enum RenderedPrompt: Sendable, Equatable {
    case chat(system: String?, user: String)
    case completion(String)

    public var json: (key: String, value: JSON) {
        switch self {
        case .chat(let system, let user):
            var messages: [JSON] = []
            if let system { messages.append(.object([("role", "system"), ("content", .string(system))])) }
            messages.append(.object([("role", "user"), ("content", .string(user))]))
            return ("messages", .array(messages))
        case .completion(let prompt):
            return ("prompt", .string(prompt))
        }
    }
}

public struct TemplateError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// A prompt template: text with `{{name}}` placeholders. For the chat API a line
/// `--- system ---` starts the system message and `--- user ---` the user message (no markers:
/// the whole text is the user message). For the completion API the whole text is the prompt.
/// The template's text and name are stored with every generation made from it.
public struct PromptTemplate: Sendable, Equatable {
    public let name: String
    public let text: String
    public let stage: GenerationStage
    public let api: GenerationAPI
    /// Stop sequences used when the user gives none (base models need them).
    public let defaultStop: [String]

    static let systemMarker = "--- system ---"
    static let userMarker = "--- user ---"

    public init(name: String, text: String, stage: GenerationStage, api: GenerationAPI, defaultStop: [String] = []) throws {
        self.name = name
        self.text = text
        self.stage = stage
        self.api = api
        self.defaultStop = defaultStop
        try validate()
    }

    /// A template from a file, for a stage and API.
    public static func load(path: String, stage: GenerationStage, api: GenerationAPI) throws -> PromptTemplate {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw TemplateError(message: "cannot read the template \(path): \(error.localizedDescription)")
        }
        do {
            return try PromptTemplate(name: "file:" + URL(fileURLWithPath: path).standardizedFileURL.path, text: text, stage: stage, api: api,
                                      defaultStop: builtin(stage: stage, api: api).defaultStop)
        } catch let error as TemplateError {
            throw TemplateError(message: "\(path): \(error.message)")
        }
    }

    /// The placeholders in the text, in order of appearance.
    public var placeholders: [String] {
        var names: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else { break }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if !names.contains(name) { names.append(name) }
            rest = rest[close.upperBound...]
        }
        return names
    }

    func validate() throws {
        let unknown = placeholders.filter { !stage.variables.contains($0) }
        if let first = unknown.first {
            throw TemplateError(message: "unknown placeholder {{\(first)}}; a \(stage.rawValue) template may use \(stage.variables.map { "{{\($0)}}" }.joined(separator: ", "))")
        }
        let required = stage == .problems ? "seed" : "prompt"
        if !placeholders.contains(required) {
            throw TemplateError(message: "a \(stage.rawValue) template must contain {{\(required)}}")
        }
        let (system, user) = sections()
        if api == .completion && system != nil {
            throw TemplateError(message: "a completion template is one prompt: \(Self.systemMarker) only makes sense with --api chat")
        }
        if user.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw TemplateError(message: "the template's user message is empty")
        }
    }

    /// (system, user) text of a chat template.
    func sections() -> (system: String?, user: String) {
        var system: [Substring]? = nil
        var user: [Substring] = []
        var inSystem = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed == Self.systemMarker {
                inSystem = true
                if system == nil { system = [] }
                continue
            }
            if trimmed == Self.userMarker {
                inSystem = false
                continue
            }
            if inSystem { system!.append(line) } else { user.append(line) }
        }
        func joined(_ lines: [Substring]) -> String {
            lines.joined(separator: "\n").trimmingCharacters(in: .newlines)
        }
        return (system.map(joined).flatMap { $0.isEmpty ? nil : $0 }, joined(user))
    }

    /// Fills the placeholders. For the completion API the text is sent as written (only the
    /// placeholders replaced), so a prompt can end exactly where the model should go on.
    public func render(_ values: [String: String]) -> RenderedPrompt {
        switch api {
        case .chat:
            let (system, user) = sections()
            return .chat(system: system.map { fill($0, values) }, user: fill(user, values))
        case .completion:
            return .completion(fill(text, values))
        }
    }

    /// For problems from a completion API: the rendered prompt after the seed, which the model's
    /// answer continues (so the seed's own code is never taken for the answer).
    public func textAfterSeed(_ values: [String: String]) -> String {
        guard let range = text.range(of: "{{seed}}", options: .backwards) else { return "" }
        return fill(String(text[range.upperBound...]), values)
    }

    func fill(_ template: String, _ values: [String: String]) -> String {
        var result = ""
        var rest = template[...]
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else { break }
            result += rest[..<open.lowerBound]
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            result += values[name] ?? ""
            rest = rest[close.upperBound...]
        }
        result += rest
        return result
    }

    // MARK: Built-in templates

    /// The built-in template of a stage and API.
    public static func builtin(stage: GenerationStage, api: GenerationAPI) -> PromptTemplate {
        let (text, stop) = builtinText(stage: stage, api: api)
        return try! PromptTemplate(name: "builtin:\(stage.rawValue)-\(api.rawValue)", text: text, stage: stage, api: api, defaultStop: stop)
    }

    static func builtinText(stage: GenerationStage, api: GenerationAPI) -> (String, [String]) {
        switch (stage, api) {
        case (.problems, .chat):
            return ("""
                --- system ---
                You are an expert Python programmer who writes clear, self-contained programming exercises.
                --- user ---
                Here is a piece of code from a real project:

                ```{{language}}
                {{seed}}
                ```

                First name the key programming concept this code uses, on one line that starts with "Concept:".
                Then write a NEW, self-contained Python programming exercise that practises that concept. It must be \
                solved by one function that takes arguments and returns a value, uses only the standard library, and \
                reads no input and prints nothing. Give the exercise as the function's signature with a docstring that \
                states the task precisely and shows one or two examples, and no body:

                Concept: <the concept>
                ```python
                def function_name(argument: type) -> type:
                    \"\"\"<the task, precise enough to write tests from>

                    >>> function_name(example_argument)
                    expected_result
                    \"\"\"
                ```

                """, [])
        case (.problems, .completion):
            return ("""
                # Code from a project:
                {{seed}}


                # A new, self-contained Python exercise that practises the same concept as the code above:
                # one function whose docstring states the task and shows an example (the body is left
                # for the student).
                # Concept:
                """, ["\n# Solution", "\nif __name__", "\n```\n"])
        case (.solutions, .chat):
            return ("""
                --- system ---
                You are an expert Python programmer.
                --- user ---
                Complete the following Python function. Answer with the whole function, and any imports or helper \
                functions it needs, in one ```python code block.

                ```python
                {{prompt}}
                ```

                """, [])
        case (.solutions, .completion):
            return ("{{prompt}}", ["\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#"])
        case (.tests, .chat):
            return ("""
                --- system ---
                You are an expert Python programmer who writes precise unit tests.
                --- user ---
                Here is a Python function to test (only its signature and docstring are shown):

                ```python
                {{prompt}}
                ```

                Write test cases for `{{entry_point}}` as separate one-line assert statements, each calling \
                `{{entry_point}}` with concrete arguments and comparing the result with the exact expected value, \
                e.g. `assert {{entry_point}}(...) == ...`. Cover normal cases and edge cases. Answer with the asserts \
                only, in one ```python code block.

                """, [])
        case (.tests, .completion):
            // CodeT's test prompt: the signature with `pass`, then the start of an assert.
            return ("{{prompt}}    pass\n\n\n# check the correctness of {{entry_point}}\nassert {{entry_point}}(",
                    ["\ndef ", "\nclass ", "\nif __name__", "\nprint("])
        }
    }
}
