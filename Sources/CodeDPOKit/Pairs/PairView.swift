/// One pair with everything that explains it, for `codedpo pairs show`.
public struct PairView {
    public struct Side {
        public let solution: Int64
        public let code: String
        public let score: Double?
        public let generatedPassed: Int
        public let generatedTotal: Int
        public let groundTruth: String?
        public let samples: Int
    }

    public let pair: Int64
    public let problem: String
    public let kind: String
    public let margin: Double?
    public let chosen: Side
    public let rejected: Side

    public static func load(_ db: Database, pair id: Int64) throws -> PairView {
        guard let row = try db.rows("""
            SELECT pr.kind, p.external_id, pr.chosen_solution_id, pr.rejected_solution_id, pr.chosen_score, pr.rejected_score,
                   pr.margin, sr.config_id, p.id
            FROM pairs pr JOIN problems p ON p.id = pr.problem_id JOIN pair_sets ps ON ps.id = pr.pair_set_id
            JOIN score_runs sr ON sr.id = ps.score_run_id WHERE pr.id = ?
            """, id).first else { throw StoreError("no pair \(id)") }
        let config = row[7].int64!, problem = row[8].int64!
        func side(_ solution: Int64, _ score: SQLValue) throws -> Side {
            let code = try db.scalar("SELECT code FROM solutions WHERE id = ?", solution)?.string ?? ""
            let samples = try db.int("SELECT sample_count FROM solutions WHERE id = ?", solution) ?? 1
            func count(_ kind: String, passedOnly: Bool) throws -> Int {
                try db.int("""
                    SELECT count(*) FROM executions e JOIN tests t ON t.id = e.test_id
                    WHERE e.config_id = ? AND e.solution_id = ? AND t.kind = ? AND (? = 0 OR e.status = 'pass')
                    """, config, solution, kind, passedOnly ? 1 : 0) ?? 0
            }
            let gtTotal = try db.int("SELECT count(*) FROM tests WHERE problem_id = ? AND kind = 'ground_truth'", problem) ?? 0
            let gtPassed = try count("ground_truth", passedOnly: true)
            let gtJudged = try count("ground_truth", passedOnly: false)
            let groundTruth = gtTotal == 0 ? nil : (gtJudged < gtTotal ? "\(gtPassed)/\(gtTotal) (\(gtTotal - gtJudged) not run)" : "\(gtPassed)/\(gtTotal)")
            return Side(solution: solution, code: code, score: score.double, generatedPassed: try count("generated", passedOnly: true),
                        generatedTotal: try count("generated", passedOnly: false), groundTruth: groundTruth, samples: samples)
        }
        return PairView(pair: id, problem: row[1].string!, kind: row[0].string!, margin: row[6].double,
                        chosen: try side(row[2].int64!, row[4]), rejected: try side(row[3].int64!, row[5]))
    }

    public var json: JSON {
        func side(_ s: Side) -> JSON {
            .object([("solution", .int(s.solution)), ("score", JSON(s.score)), ("generated_passed", .int(Int64(s.generatedPassed))),
                     ("generated_total", .int(Int64(s.generatedTotal))), ("ground_truth", JSON(s.groundTruth)),
                     ("samples", .int(Int64(s.samples))), ("code", .string(s.code))])
        }
        return .object([("pair", .int(pair)), ("problem", .string(problem)), ("kind", .string(kind)), ("margin", JSON(margin)),
                        ("chosen", side(chosen)), ("rejected", side(rejected))])
    }

    /// Both programs side by side, under a header that says why the chosen won.
    public func text(width: Int) -> String {
        let scoreLabel = kind == "efficiency" ? "median" : "score"
        func describe(_ s: Side) -> String {
            var text = "solution \(s.solution) (\(s.samples)x): \(scoreLabel) \(s.score.map { RowWriter.formatReal($0) } ?? "-"), passes \(s.generatedPassed)/\(s.generatedTotal) generated tests"
            if let gt = s.groundTruth { text += ", ground truth \(gt)" }
            return text
        }
        var out = "pair \(pair) · \(problem) · \(kind)"
        if let margin { out += kind == "efficiency" ? String(format: " · %.2fx faster", margin) : String(format: " · margin %.2f of the score range", margin) }
        out += "\n  chosen:   \(describe(chosen))\n  rejected: \(describe(rejected))\n\n"
        let left = chosen.code.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let right = rejected.code.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Both columns are cut at the width, so a long line of the rejected program cannot
        // wrap under the chosen one.
        func cut(_ text: String) -> String {
            let expanded = text.replacingOccurrences(of: "\t", with: "    ")
            return expanded.count > width ? String(expanded.prefix(width - 1)) + "…" : expanded
        }
        func cell(_ text: String) -> String {
            let short = cut(text)
            return short + String(repeating: " ", count: max(0, width - short.count))
        }
        out += cell("CHOSEN") + " │ REJECTED\n" + String(repeating: "─", count: width) + "─┼─" + String(repeating: "─", count: width) + "\n"
        for i in 0..<max(left.count, right.count) {
            out += cell(i < left.count ? left[i] : "") + " │ " + (i < right.count ? cut(right[i]) : "") + "\n"
        }
        return out
    }
}
