/// Two evaluated score runs side by side: the paired difference of their top-1 pass rates
/// over the problems both scored, with a bootstrap interval (problems resampled).
public struct TopPassRateDifference: Sendable {
    public var first: Int64
    public var second: Int64
    public var firstStrategy: String
    public var secondStrategy: String
    /// first's top-1 minus second's, over the shared problems.
    public var interval: Bootstrap.Interval

    /// "score run 6 better", "score run 2 better" or "not distinguishable".
    public var verdict: String { interval.verdict("score run \(first)", "score run \(second)") }

    /// nil when the two runs share no evaluated problem.
    public static func between(_ a: EvaluationReport, _ b: EvaluationReport, bootstrap: Bootstrap) -> TopPassRateDifference? {
        let shared = Set(a.problemTopPassRates.keys).intersection(b.problemTopPassRates.keys).sorted()
        guard !shared.isEmpty else { return nil }
        let interval = bootstrap.pairedDifference(shared.map { a.problemTopPassRates[$0]! }, shared.map { b.problemTopPassRates[$0]! })
        return TopPassRateDifference(first: a.scoreRunID, second: b.scoreRunID, firstStrategy: a.strategy, secondStrategy: b.strategy, interval: interval)
    }

    /// Every pair of runs, each once, the better-scoring run first (ties in list order).
    public static func all(_ reports: [EvaluationReport], bootstrap: Bootstrap) -> [TopPassRateDifference] {
        var result: [TopPassRateDifference] = []
        for i in reports.indices {
            for k in reports.indices where k > i {
                let (a, b) = reports[k].topPassRate > reports[i].topPassRate ? (reports[k], reports[i]) : (reports[i], reports[k])
                if let difference = between(a, b, bootstrap: bootstrap) { result.append(difference) }
            }
        }
        return result
    }

    public var json: JSON {
        .object([("score_run", .int(first)), ("strategy", .string(firstStrategy)),
                 ("versus", .int(second)), ("versus_strategy", .string(secondStrategy)),
                 ("problems", .int(Int64(interval.problems))), ("top1_difference", .double(interval.difference)),
                 ("low", .double(interval.low)), ("high", .double(interval.high)), ("verdict", .string(verdict))])
    }
}
