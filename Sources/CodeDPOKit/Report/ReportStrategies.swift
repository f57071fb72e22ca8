import Foundation

/// The report's strategy section: per strategy its latest score run held against the ground
/// truth, the same numbers `codedpo eval` gives (it is `Evaluator`'s streaming evaluation),
/// shown only when every ground-truth verdict it needs is stored (the report never executes
/// anything). Each config's ground-truth verdicts are summed once (`GroundTruthTable`).
extension ReportData {
    /// `evaluated`: runs evaluated already (the focused one, from the scores its pass read).
    mutating func loadStrategies(_ db: Database, evaluator: Evaluator, evaluated: [Int64: EvaluationReport] = [:]) throws {
        guard groundTruthTests > 0 else { return }
        var latest: [String: ScoreRunInfo] = [:]
        for run in scoreRuns { latest[run.strategy] = run }
        for run in latest.values.sorted(by: { $0.id < $1.id }) {
            let report = try evaluated[run.id] ?? evaluator.evaluate(run: run.record)
            guard report.missingGroundTruthVerdicts == 0 else {
                strategies.append(StrategyResult(run: run, topPassRate: nil, randomPassRate: nil, problems: 0,
                                                 missingVerdicts: report.missingGroundTruthVerdicts))
                continue
            }
            strategies.append(StrategyResult(run: run, topPassRate: report.problems > 0 ? report.topPassRate : nil,
                                             randomPassRate: report.problems > 0 ? report.randomPassRate : nil,
                                             spearman: report.spearman, pairPrecision: report.pairPrecision,
                                             problems: report.problems, missingVerdicts: 0))
        }
    }
}

extension ReportData.ScoreRunInfo {
    /// The run as the stages' shared record.
    var record: ScoreRunRecord {
        ScoreRunRecord(id: id, strategy: strategy, parameters: (try? JSON.parse(parameters)) ?? .object([]),
                       configID: configID, finalIteration: finalIteration)
    }
}
