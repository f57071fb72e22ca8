/// A score run as later stages read it (pairs, efficiency, evaluation): its strategy and
/// parameters, the execution config its verdicts came from, and the iteration that holds
/// its result.
public struct ScoreRunRecord: Sendable {
    public let id: Int64
    public let strategy: String
    public let parameters: JSON
    public let configID: Int64
    public let finalIteration: Int

    public static func load(_ db: Database, _ id: Int64) throws -> ScoreRunRecord {
        guard let row = try db.rows("SELECT strategy, parameters, config_id, final_iteration FROM score_runs WHERE id = ?", id).first else {
            throw StoreError("no score run \(id): list them with `codedpo score-runs`")
        }
        return ScoreRunRecord(id: id, strategy: row[0].string!, parameters: try JSON.parse(row[1].string!),
                              configID: row[2].int64!, finalIteration: row[3].int!)
    }
}
