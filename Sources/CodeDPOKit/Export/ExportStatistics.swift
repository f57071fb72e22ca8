import Foundation

/// Quality statistics of an export, accumulated row by row, pure. What DPO users check first:
/// length bias (a model learns "longer wins" when chosen responses are longer on average),
/// then margins and how many pairs each problem contributes.
public struct ExportStatistics: Sendable {
    public private(set) var pairs = 0
    public private(set) var chosenCharacters = 0
    public private(set) var rejectedCharacters = 0
    public private(set) var chosenLines = 0
    public private(set) var rejectedLines = 0
    public private(set) var chosenLonger = 0
    public private(set) var margins: [Double] = []
    public private(set) var pairsPerProblem: [String: Int] = [:]
    public private(set) var kinds: [String: Int] = [:]
    public private(set) var shapes: [String: Int] = [:]
    /// RL formats: trusted tests of each exported problem.
    public private(set) var testsPerProblem: [Int] = []
    /// Pairs (RL: problems) left out, by reason.
    public private(set) var leftOut: [String: Int] = [:]
    /// Whether the rows are problems (RL formats) rather than pairs.
    public let rl: Bool

    public init(rl: Bool = false) { self.rl = rl }

    /// One pair as exported: the response texts a trainer sees.
    public mutating func add(pair problem: String, kind: String, shape: ResponseShape, chosen: String, rejected: String, margin: Double) {
        pairs += 1
        chosenCharacters += chosen.count
        rejectedCharacters += rejected.count
        chosenLines += Self.lineCount(chosen)
        rejectedLines += Self.lineCount(rejected)
        if chosen.count > rejected.count { chosenLonger += 1 }
        margins.append(margin)
        pairsPerProblem[problem, default: 0] += 1
        kinds[kind, default: 0] += 1
        shapes[shape.rawValue, default: 0] += 1
    }

    /// One problem of an RL export.
    public mutating func add(problem: String, tests: Int) {
        precondition(rl, "problems are counted in the statistics of an RL export")
        testsPerProblem.append(tests)
        shapes[ResponseShape.instruction.rawValue, default: 0] += 1
    }

    public mutating func leave(reason: String) { leftOut[reason, default: 0] += 1 }

    static func lineCount(_ text: String) -> Int {
        text.isEmpty ? 0 : text.split(separator: "\n", omittingEmptySubsequences: false).count - (text.hasSuffix("\n") ? 1 : 0)
    }

    static func mean(_ total: Int, _ count: Int) -> Double { count == 0 ? 0 : Double(total) / Double(count) }
    static func round(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

    /// Nearest-rank quantiles of sorted values.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
    }

    static func distribution(_ values: [Double]) -> JSON {
        guard !values.isEmpty else { return .null }
        let sorted = values.sorted()
        return .object([("count", .int(Int64(sorted.count))), ("mean", .double(round(sorted.reduce(0, +) / Double(sorted.count)))),
                        ("min", .double(round(sorted[0]))), ("p25", .double(round(quantile(sorted, 0.25)))),
                        ("median", .double(round(quantile(sorted, 0.5)))), ("p75", .double(round(quantile(sorted, 0.75)))),
                        ("max", .double(round(sorted[sorted.count - 1])))])
    }

    static func counts(_ values: [String: Int]) -> JSON { .object(values.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) }) }

    public var json: JSON {
        var fields: [(String, JSON)] = [("shapes", Self.counts(shapes))]
        if !rl {
            let perProblem = pairsPerProblem.values
            var histogram: [String: Int] = [:]
            for n in perProblem { histogram[String(n), default: 0] += 1 }
            fields += [
                ("pairs", .int(Int64(pairs))), ("kinds", Self.counts(kinds)),
                ("length", .object([
                    ("chosen_mean_characters", .double(Self.round(Self.mean(chosenCharacters, pairs)))),
                    ("rejected_mean_characters", .double(Self.round(Self.mean(rejectedCharacters, pairs)))),
                    ("chosen_mean_lines", .double(Self.round(Self.mean(chosenLines, pairs)))),
                    ("rejected_mean_lines", .double(Self.round(Self.mean(rejectedLines, pairs)))),
                    ("chosen_longer_share", .double(Self.round(Self.mean(chosenLonger, pairs)))),
                ])),
                ("margin", Self.distribution(margins)),
                ("pairs_per_problem", .object([("problems", .int(Int64(perProblem.count))),
                                               ("mean", .double(Self.round(Self.mean(pairs, perProblem.count)))),
                                               ("max", .int(Int64(perProblem.max() ?? 0))), ("histogram", Self.counts(histogram))])),
            ]
        } else {
            fields += [("problems", .int(Int64(testsPerProblem.count))), ("tests_per_problem", Self.distribution(testsPerProblem.map(Double.init)))]
        }
        fields.append(("left_out", Self.counts(leftOut)))
        return .object(fields)
    }

    /// The statistics as lines for people (the command prints them; the card shows them).
    public var summaryLines: [String] {
        func f(_ value: Double) -> String { String(format: "%.1f", value) }
        var lines: [String] = []
        let shapeText = shapes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        if pairs > 0 {
            let chosenMean = Self.mean(chosenCharacters, pairs), rejectedMean = Self.mean(rejectedCharacters, pairs)
            lines.append("pairs: \(pairs) (\(kinds.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))); shapes: \(shapeText)")
            lines.append("length: chosen \(f(chosenMean)) chars / \(f(Self.mean(chosenLines, pairs))) lines, rejected \(f(rejectedMean)) chars / \(f(Self.mean(rejectedLines, pairs))) lines; chosen longer in \(Int((Self.mean(chosenLonger, pairs) * 100).rounded()))% of pairs")
            let sorted = margins.sorted()
            lines.append("margin: min \(String(format: "%.3g", sorted[0])), median \(String(format: "%.3g", Self.quantile(sorted, 0.5))), max \(String(format: "%.3g", sorted[sorted.count - 1]))")
            lines.append("pairs per problem: \(pairsPerProblem.count) problems, mean \(String(format: "%.2f", Self.mean(pairs, pairsPerProblem.count))), max \(pairsPerProblem.values.max() ?? 0)")
        } else if !rl {
            lines.append("pairs: 0")
        } else {
            let tests = testsPerProblem.reduce(0, +)
            lines.append("problems: \(testsPerProblem.count) with \(tests) trusted tests (mean \(f(Self.mean(tests, testsPerProblem.count))) a problem)")
        }
        for (reason, count) in leftOut.sorted(by: { $0.key < $1.key }) { lines.append("left out: \(count) \(rl ? "problems" : "pairs") (\(reason))") }
        return lines
    }
}
