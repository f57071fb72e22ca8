import Foundation

/// HumanEval+ / MBPP+ `base_input` and `plus_input` become ground-truth tests: the expected
/// value of each call is what the canonical solution returns, found by running it through the
/// executor's worker (the same harness, limits and isolation as every verdict), and the test
/// compares with the dataset's `atol` the way evalplus does (exact, else floats within atol,
/// 1e-6 when atol is 0).
public final class ExpectedOutputs {
    public let settings: ExecutionSettings
    /// The execution config the expected values were computed under (recorded with each test).
    public var configID: Int64?
    private let scratch: String
    private let worker: WorkerProcess
    static let marker = "@@codedpo-expected "
    /// Probes per worker job.
    static let chunk = 256

    public init(settings: ExecutionSettings) throws {
        var settings = settings
        // The whole repr of an output must come back (outputs of plus inputs can be large).
        settings.outputLimit = max(settings.outputLimit, 4 << 20)
        self.settings = settings
        scratch = try WorkerProcess.makeScratch()
        worker = WorkerProcess(settings: settings, scratch: scratch)
    }

    deinit {
        worker.stop()
        try? FileManager.default.removeItem(atPath: scratch)
    }

    public struct Output: Sendable, Equatable {
        /// The value as Python source (its repr, checked to evaluate back to an equal value).
        public var literal: String
        public var hasFloat: Bool
    }

    static func probe(entryPoint: String, arguments: String) -> String {
        """
        _codedpo_out = \(entryPoint)(*\(arguments))
        _codedpo_text = repr(_codedpo_out)
        def _codedpo_has_float(v):
            if isinstance(v, float):
                return True
            if isinstance(v, (list, tuple, set, frozenset)):
                return any(_codedpo_has_float(x) for x in v)
            if isinstance(v, dict):
                return any(_codedpo_has_float(x) for x in v.values())
            return False
        try:
            _codedpo_same = eval(_codedpo_text) == _codedpo_out
        except Exception:
            _codedpo_same = False
        print("\\n\(marker)%d %d@@" % (_codedpo_same, _codedpo_has_float(_codedpo_out)) + _codedpo_text)

        """
    }

    /// The canonical program's output for every argument list (Python source of a list of
    /// arguments); nil where it raised, timed out, or printed a value that is not a literal.
    public func outputs(program: String, entryPoint: String, arguments: [String]) -> [Output?] {
        var results: [Output?] = []
        for start in stride(from: 0, to: arguments.count, by: Self.chunk) {
            let part = arguments[start..<min(start + Self.chunk, arguments.count)]
            let tests = part.enumerated().map { (id: Int64($0.offset), code: Self.probe(entryPoint: entryPoint, arguments: $0.element)) }
            let verdicts = Dictionary(worker.run(solution: program, tests: tests).map { ($0.testID, $0) }, uniquingKeysWith: { a, _ in a })
            for offset in part.indices.map({ $0 - start }) {
                guard let verdict = verdicts[Int64(offset)], verdict.status == "pass", let output = verdict.output,
                      let range = output.range(of: Self.marker, options: .backwards) else {
                    results.append(nil)
                    continue
                }
                let rest = output[range.upperBound...]
                guard rest.count > 5, rest.hasPrefix("1 "), let end = rest.range(of: "@@") else {
                    results.append(nil)
                    continue
                }
                let hasFloat = rest[rest.index(rest.startIndex, offsetBy: 2)] == "1"
                var literal = String(rest[end.upperBound...])
                if literal.hasSuffix("\n") { literal.removeLast() }
                results.append(Output(literal: literal, hasFloat: hasFloat))
            }
        }
        return results
    }

    static let closeHelper = """
        def _codedpo_close(a, b, atol):
            if a == b:
                return True
            number = (int, float)
            if isinstance(a, number) and isinstance(b, number) and not isinstance(a, bool) and not isinstance(b, bool):
                return abs(a - b) <= atol + 1e-07 * abs(b)
            if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
                return all(_codedpo_close(x, y, atol) for x, y in zip(a, b))
            return False

        """

    /// The test of one input: an exact comparison, or a tolerant one when the expected value
    /// holds floats or the dataset gives an atol.
    public static func test(entryPoint: String, arguments: String, expected: Output, atol: Double) -> String {
        let tolerance = atol == 0 && expected.hasFloat ? 1e-6 : atol
        if tolerance == 0 { return "assert \(entryPoint)(*\(arguments)) == \(expected.literal)\n" }
        return closeHelper + "assert _codedpo_close(\(entryPoint)(*\(arguments)), \(expected.literal), \(tolerance))\n"
    }
}

extension FormatReader {
    /// Tests from an evalplus record's base_input and plus_input (when asked for with
    /// --plus-tests), and how many inputs gave no usable expected value.
    static func evalPlusTests(_ item: JSON, entryPoint: String, program: String, _ context: FormatContext) throws -> (tests: [LabeledTest], skipped: Int) {
        guard let runner = context.expected else { return ([], 0) }
        let atol = item["atol"]?.doubleValue ?? Double(item["atol"]?.intValue ?? 0)
        var tests: [LabeledTest] = []
        var skipped = 0
        for set in ["base", "plus"] {
            guard let given = item[set + "_input"], !given.isNull else { continue }
            // MBPP+ v0.2.0 writes "no plus inputs" as {} once (Mbpp/793).
            if let members = given.objectValue, members.isEmpty { continue }
            guard let inputs = given.arrayValue else { throw BadItem("field \"\(set)_input\" must be a list of argument lists, found \(given.typeName)") }
            let arguments = try inputs.enumerated().map { index, input -> String in
                guard case .array = input else { throw BadItem("\(set)_input[\(index)] must be a list of arguments, found \(input.typeName)") }
                return PythonSource.of(input)
            }
            let outputs = runner.outputs(program: program, entryPoint: entryPoint, arguments: arguments)
            for (index, output) in outputs.enumerated() {
                guard let output else { skipped += 1; continue }
                tests.append(LabeledTest(code: ExpectedOutputs.test(entryPoint: entryPoint, arguments: arguments[index], expected: output, atol: atol),
                                         testSet: set, metadata: .object([
                                            ("test_set", .string(set)), ("input_index", .int(Int64(index))), ("expected_from", "canonical_solution"),
                                            ("canonical_sha256", .string(SHA256.hex(program))), ("execution_config", JSON(runner.configID)),
                                            ("atol", .double(atol)),
                                         ])))
            }
        }
        return (tests, skipped)
    }
}
