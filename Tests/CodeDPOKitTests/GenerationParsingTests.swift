import Foundation
import XCTest

@testable import CodeDPOKit

/// Turning model answers into programs, asserts and problems (the embedded Python helper,
/// in batches), templates and endpoint URLs.
final class GenerationParsingTests: XCTestCase {
    var parser: ResponseParser!

    override func setUpWithError() throws {
        guard (try? PythonInterpreter.resolve()) != nil else { throw XCTSkip("no Python 3: answer parsing tests skipped") }
        parser = try ResponseParser()
    }

    let prompt = """
        from typing import List


        def has_close(numbers: List[float], threshold: float) -> bool:
            \"\"\"Check if any two numbers are closer than threshold.
            >>> has_close([1.0, 2.0], 0.5)
            False
            \"\"\"

        """

    func solution(_ text: String, api: GenerationAPI = .chat, prefix: String? = nil) throws -> ParsedAnswer {
        try parser.parse([ParseRequest(stage: .solutions, api: api, text: text, prompt: prompt, entryPoint: "has_close", prefix: prefix)])[0]
    }

    func code(_ answer: ParsedAnswer, file: StaticString = #filePath, line: UInt = #line) -> String? {
        guard case .solution(let code, _) = answer else {
            XCTFail("not parsed: \(answer)", file: file, line: line)
            return nil
        }
        return code
    }

    func tests(_ text: String, entryPoint: String = "has_close") throws -> ([String], JSON?) {
        switch try parser.parse([ParseRequest(stage: .tests, api: .chat, text: text, entryPoint: entryPoint)])[0] {
        case .tests(let tests, let details): return (tests, details)
        case .unparseable(_, let details): return ([], details)
        default: return ([], nil)
        }
    }

    // MARK: Solutions

    func testFencedCodeInAChattyAnswerKeepsTheFunctionAndDropsExamples() throws {
        let answer = """
            Sure! Here is an efficient solution:

            ```python
            import itertools

            def has_close(numbers, threshold):
                return any(abs(a - b) < threshold for a, b in itertools.combinations(numbers, 2))

            print(has_close([1.0, 2.8], 0.3))
            assert has_close([1.0, 1.1], 0.5)
            ```

            This compares every pair once.
            """
        XCTAssertEqual(code(try solution(answer)), """
            from typing import List

            import itertools

            def has_close(numbers, threshold):
                return any(abs(a - b) < threshold for a, b in itertools.combinations(numbers, 2))

            """)
    }

    func testUnfencedAnswerWithProseAroundIt() throws {
        let answer = "You can do it like this.\ndef has_close(numbers, threshold):\n    return False\n\nThat is all, it always answers False."
        XCTAssertEqual(code(try solution(answer)), "from typing import List\n\ndef has_close(numbers, threshold):\n    return False\n")
    }

    func testHelpersTheFunctionUsesAreKeptAndOthersDropped() throws {
        let answer = """
            ```python
            def distance(a, b):
                return abs(a - b)

            def unused():
                return 1

            LIMIT = 3

            def has_close(numbers, threshold):
                return any(distance(a, b) < threshold for i, a in enumerate(numbers[:LIMIT]) for b in numbers[i + 1:])

            if __name__ == "__main__":
                print(has_close([1, 2], 3))
            ```
            """
        let parsed = try solution(answer)
        let text = code(parsed) ?? ""
        XCTAssertTrue(text.contains("def distance") && text.contains("LIMIT = 3") && text.contains("def has_close"), text)
        XCTAssertFalse(text.contains("unused") || text.contains("__main__"), text)
        if case .solution(_, let details) = parsed { XCTAssertEqual(details["dropped_statements"], .int(2)) }
    }

    func testABodyOnlyAnswerIsCompletedWithThePrompt() throws {
        let answer = "```python\n    for i, a in enumerate(numbers):\n        for b in numbers[i + 1:]:\n            if abs(a - b) < threshold:\n                return True\n    return False\n```"
        let text = code(try solution(answer)) ?? ""
        XCTAssertTrue(text.hasPrefix("from typing import List\n\n\ndef has_close(numbers: List[float], threshold: float) -> bool:\n    \"\"\"Check"), text)
        XCTAssertTrue(text.hasSuffix("    return False\n"), text)
    }

    func testAnAnswerCutByMaxTokensKeepsItsCompletePart() throws {
        let answer = "```python\ndef has_close(numbers, threshold):\n    return len(numbers) > 1\n\nprint(has_close([1.0, 2.0], 0.5), has_close(["
        XCTAssertEqual(code(try solution(answer)), "from typing import List\n\ndef has_close(numbers, threshold):\n    return len(numbers) > 1\n")
    }

    func testACompletionContinuesThePrompt() throws {
        let parsed = try solution("    return sorted(numbers) == numbers\n\n\ndef other():\n    pass\n", api: .completion, prefix: prompt)
        XCTAssertEqual(code(parsed), prompt.trimmingCharacters(in: .newlines) + "\n    return sorted(numbers) == numbers\n")
    }

    func testAnswersWithoutTheFunctionAreUnparseableWithAReason() throws {
        let cases: [(String, String)] = [
            ("I'm sorry, but I can't help with that.", "no code found in the answer"),
            ("```python\ndef close_numbers(numbers, threshold):\n    return False\n```", "no code in the answer defines has_close"),
            ("```python\ndef has_close(numbers, threshold):\n    pass\n```", "has no body"),
            ("", "the answer is empty"),
        ]
        let answers = try parser.parse(cases.map { ParseRequest(stage: .solutions, api: .chat, text: $0.0, prompt: prompt, entryPoint: "has_close") })
        for ((text, reason), answer) in zip(cases, answers) {
            guard case .unparseable(let message, _) = answer else {
                XCTFail("parsed «\(text)»: \(answer)")
                continue
            }
            XCTAssertTrue(message.contains(reason), "«\(message)» should say «\(reason)»")
        }
    }

    // MARK: Tests

    func testTestAnswersAreSplitIntoSingleAssertsThatCallTheEntryPointAndCompile() throws {
        let answer = """
            Here are some tests:

            ```python
            import math
            from typing import List

            assert has_close([1.0, 2.0, 3.0], 0.5) == False
            assert has_close([1.0, 2.8, 3.0], 0.3) == True
            assert math.isclose(1.0, 1.0) and has_close([], 1.0) is False
            assert has_close(
                [1.0, 1.05],
                0.1,
            )
            assert has_close([1.0, 2.0, 3.0], 0.5) == False
            assert len([1, 2]) == 2
            assert has_close(values, 0.1)
            result = has_close([1.0], 1.0)
            ```
            """
        let (kept, details) = try tests(answer)
        XCTAssertEqual(kept, [
            "assert has_close([1.0, 2.0, 3.0], 0.5) == False\n",
            "assert has_close([1.0, 2.8, 3.0], 0.3) == True\n",
            "import math\nassert math.isclose(1.0, 1.0) and has_close([], 1.0) is False\n",
            "assert has_close(\n    [1.0, 1.05],\n    0.1,\n)\n",
        ], "one test per assert, imports it needs in front, duplicates once")
        let reasons = details?["dropped"]?.arrayValue?.compactMap { $0["reason"]?.stringValue } ?? []
        XCTAssertEqual(reasons, ["does not call has_close", "uses names defined elsewhere: values"])
    }

    func testUnfencedTestsWithProseAndABrokenAssert() throws {
        let answer = "Tests:\nassert has_close([1.0], 0.5) == False\nThe next one checks pairs:\nassert has_close([1.0, 1.1], 0.5) == True\nassert has_close([1.0, 1.1], 0.5 == True\n"
        let (kept, details) = try tests(answer)
        XCTAssertEqual(kept, ["assert has_close([1.0], 0.5) == False\n", "assert has_close([1.0, 1.1], 0.5) == True\n"])
        let reason = details?["dropped"]?.arrayValue?.first?["reason"]?.stringValue ?? ""
        XCTAssertTrue(reason.hasPrefix("does not compile"), reason)
    }

    func testCheckFunctionsCallTheEntryPointThroughTheirParameter() throws {
        let answer = "```python\ndef check(candidate):\n    assert candidate([1.0, 1.1], 0.5) is True\n    assert candidate([], 0.5) is False\n\ncheck(has_close)\n```"
        let (kept, _) = try tests(answer)
        XCTAssertEqual(kept, ["candidate = has_close\nassert candidate([1.0, 1.1], 0.5) is True\n",
                              "candidate = has_close\nassert candidate([], 0.5) is False\n"])
    }

    func testAnswersWithNoUsableAssertAreUnparseable() throws {
        let answers = try parser.parse([
            ParseRequest(stage: .tests, api: .chat, text: "The function works well for all inputs.", entryPoint: "has_close"),
            ParseRequest(stage: .tests, api: .chat, text: "```python\nassert other(1) == 2\n```", entryPoint: "has_close"),
        ])
        guard case .unparseable(let first, _) = answers[0], case .unparseable(let second, _) = answers[1] else {
            return XCTFail("\(answers)")
        }
        XCTAssertEqual(first, "no assert statement in the answer")
        XCTAssertTrue(second.contains("does not call has_close"), second)
    }

    // MARK: Problems

    func testProblemsFromAFencedSignatureOrFromJSON() throws {
        let answers = try parser.parse([
            ParseRequest(stage: .problems, api: .chat, text: """
                **Concept:** two pointers

                **Problem:**
                ```python
                def is_palindrome(text: str) -> bool:
                    \"\"\"Return True when text reads the same forwards and backwards, ignoring case.

                    >>> is_palindrome("Abba")
                    True
                    \"\"\"
                    return text.lower() == text.lower()[::-1]
                ```
                """),
            ParseRequest(stage: .problems, api: .chat, text: """
                {"concept": "recursion", "problem": "Return the n-th Fibonacci number, with fib(0) = 0 and fib(1) = 1.", "entry_point": "fib", "signature": "def fib(n: int) -> int:"}
                """),
            ParseRequest(stage: .problems, api: .chat, text: "```python\ndef f(x):\n    return x\n```"),
        ])
        guard case .problem(let prompt, let entryPoint, let concept, _, _) = answers[0] else { return XCTFail("\(answers[0])") }
        XCTAssertEqual(entryPoint, "is_palindrome")
        XCTAssertEqual(concept, "two pointers")
        XCTAssertEqual(prompt, "def is_palindrome(text: str) -> bool:\n    \"\"\"Return True when text reads the same forwards and backwards, ignoring case.\n\n    >>> is_palindrome(\"Abba\")\n    True\n    \"\"\"\n",
                       "the signature and docstring, not the body")
        guard case .problem(let jsonPrompt, "fib", "recursion", _, _) = answers[1] else { return XCTFail("\(answers[1])") }
        XCTAssertEqual(jsonPrompt, "def fib(n: int) -> int:\n    \"\"\"\n    Return the n-th Fibonacci number, with fib(0) = 0 and fib(1) = 1.\n    \"\"\"\n")
        guard case .unparseable(let reason, _) = answers[2] else { return XCTFail("\(answers[2])") }
        XCTAssertTrue(reason.contains("no docstring describing the task"), reason)
    }

    // MARK: Templates and endpoints

    func testTemplatesRenderChatAndCompletionAndRejectUnknownPlaceholders() throws {
        let chat = try PromptTemplate(name: "t", text: "--- system ---\nBe brief.\n--- user ---\nSolve {{entry_point}}:\n{{prompt}}", stage: .solutions, api: .chat)
        XCTAssertEqual(chat.render(["prompt": "def f(): pass\n", "entry_point": "f"]), .chat(system: "Be brief.", user: "Solve f:\ndef f(): pass\n"))
        let plain = try PromptTemplate(name: "t", text: "Write {{prompt}}", stage: .tests, api: .chat)
        XCTAssertEqual(plain.render(["prompt": "x"]), .chat(system: nil, user: "Write x"))
        let completion = PromptTemplate.builtin(stage: .tests, api: .completion)
        XCTAssertEqual(completion.render(["prompt": "def f(x):\n", "entry_point": "f"]),
                       .completion("def f(x):\n    pass\n\n\n# check the correctness of f\nassert f("))
        XCTAssertThrowsMessage(try PromptTemplate(name: "t", text: "{{prompt}} {{seed}}", stage: .tests, api: .chat), contains: ["unknown placeholder {{seed}}"])
        XCTAssertThrowsMessage(try PromptTemplate(name: "t", text: "no placeholder", stage: .problems, api: .chat), contains: ["must contain {{seed}}"])
        XCTAssertThrowsMessage(try PromptTemplate(name: "t", text: "--- system ---\nx\n--- user ---\n{{prompt}}", stage: .solutions, api: .completion),
                               contains: ["only makes sense with --api chat"])
        for stage in GenerationStage.allCases {
            for api in GenerationAPI.allCases { XCTAssertEqual(PromptTemplate.builtin(stage: stage, api: api).stage, stage) }
        }
        let problems = PromptTemplate.builtin(stage: .problems, api: .completion)
        XCTAssertTrue(problems.textAfterSeed(["seed": "def g(): pass"]).hasSuffix("# Concept:"))
    }

    func testEndpointURLs() throws {
        func url(_ endpoint: String, _ api: GenerationAPI = .chat) throws -> String {
            try ClientSettings(endpoint: endpoint, model: "m").url(for: api).absoluteString
        }
        XCTAssertEqual(try url("http://127.0.0.1:8000/v1"), "http://127.0.0.1:8000/v1/chat/completions")
        XCTAssertEqual(try url("http://127.0.0.1:8000/v1/", .completion), "http://127.0.0.1:8000/v1/completions")
        XCTAssertEqual(try url("http://localhost:11434"), "http://localhost:11434/v1/chat/completions")
        XCTAssertEqual(try url("https://api.example.com/openai/v1/chat/completions"), "https://api.example.com/openai/v1/chat/completions")
        XCTAssertThrowsMessage(try url("127.0.0.1:8000"), contains: ["must be an http(s) URL"])
        XCTAssertThrowsMessage(try url("http://h/v1/chat/completions", .completion), contains: ["not --api completion"])
        XCTAssertEqual(ClientSettings(endpoint: "https://user:secret@h.example/v1/", model: "m").storedEndpoint, "https://h.example/v1")
        XCTAssertEqual(OpenAIClient.retryAfter("2"), 2)
        XCTAssertEqual(OpenAIClient.retryAfter("soon"), nil)
        XCTAssertEqual(OpenAIClient.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT"), 0, "a date in the past waits nothing")
        XCTAssertEqual(Redactor(["sk-123456"]).clean("Bearer sk-123456!"), "Bearer [redacted]!")
    }
}
