/// What pairs and export need from decontamination: which problems to leave out, and what
/// to say about it in a manifest.
public enum ContaminationFilter {
    /// An SQL condition on a problem id column that keeps only problems without a match in
    /// the latest decontamination run ("1" when contaminated problems are allowed).
    public static func condition(problemColumn: String, allowContaminated: Bool) -> String {
        allowContaminated ? "1" : "\(problemColumn) NOT IN (SELECT problem_id FROM contaminated_problems)"
    }

    /// The latest decontamination run and how many of the given problems it flags, for
    /// manifests and dataset cards: null when no decontamination run exists.
    public static func summary(_ db: Database, problemsSQL: String, arguments: [SQLBindable], allowContaminated: Bool) throws -> JSON {
        guard let run = try db.rows("SELECT id, parameters, created_at FROM decontamination_runs ORDER BY id DESC LIMIT 1").first else {
            return .object([("decontamination_run", .null), ("note", "no `codedpo decontaminate` run: the data was not checked against benchmarks")])
        }
        let statement = try db.prepare("SELECT count(DISTINCT x.pid) FROM (\(problemsSQL)) x WHERE x.pid IN (SELECT problem_id FROM contaminated_problems)")
        try statement.bind(arguments)
        _ = try statement.step()
        let flagged = statement.int(at: 0)
        statement.reset()
        return .object([
            ("decontamination_run", .int(run["id"].int64!)),
            ("parameters", (try? JSON.parse(run["parameters"].string!)) ?? .null),
            ("allow_contaminated", .bool(allowContaminated)),
            (allowContaminated ? "contaminated_problems_kept" : "contaminated_problems_removed", .int(Int64(flagged))),
        ])
    }
}
