import Foundation
import XCTest

@testable import CodeDPOKit

/// All matches of `pattern`'s first capture group in `text`.
private func captures(_ pattern: String, in text: String) -> [String] {
    let regex = try! NSRegularExpression(pattern: pattern)
    return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { match in
        String(text[Range(match.range(at: 1), in: text)!])
    }
}

/// The pure chart functions.
final class SVGChartTests: XCTestCase {
    func testBinsCountEveryValueOnceWithTheLastBinClosed() {
        let bins = SVGCharts.bins([0, 0.05, 0.09, 0.1, 0.55, 0.999, 1.0, 1.0, -3, 7], count: 10)
        XCTAssertEqual(bins.count, 10)
        XCTAssertEqual(bins.map(\.count), [4, 1, 0, 0, 0, 1, 0, 0, 0, 4])
        XCTAssertEqual(bins[0].lower, 0)
        XCTAssertEqual(bins[9].upper, 1, accuracy: 1e-12)
    }

    func testHistogramBarHeightsAreProportionalToTheCounts() {
        let values = Array(repeating: 0.05, count: 8) + Array(repeating: 0.45, count: 2) + Array(repeating: 0.95, count: 5) + [0.65]
        let svg = SVGCharts.histogram(title: "t", bins: SVGCharts.bins(values, count: 10), xLabel: "x", yLabel: "y")
        let bars = captures(#"<rect class="bar"[^>]* height="([0-9.]+)" data-count="[0-9]+""#, in: svg).map { Double($0)! }
        let counts = captures(#"<rect class="bar"[^>]* data-count="([0-9]+)""#, in: svg).map { Double($0)! }
        XCTAssertEqual(counts, [8, 0, 0, 0, 2, 0, 1, 0, 0, 5])
        XCTAssertEqual(bars.count, 10)
        let unit = bars[0] / 8
        XCTAssertGreaterThan(unit, 1, "the tallest bar is drawn, not flat")
        for (height, count) in zip(bars, counts) {
            XCTAssertEqual(height, count * unit, accuracy: 0.02, "bar height must be proportional to its count")
        }
        XCTAssertTrue(svg.contains(">t</text>") && svg.contains(">x</text>") && svg.contains(">y</text>"), "title and axis labels")
    }

    func testHeatMapHasOneCellPerRowAndColumnWithItsStatusClass() {
        let statuses: [[String?]] = [["pass", "fail", nil], ["load_error", "timeout", "pass"]]
        let rows = [SVGCharts.HeatRow(id: "11", label: "#11", score: 1, marker: .chosen),
                    SVGCharts.HeatRow(id: "12", label: "#12", score: 0.2, marker: .rejected)]
        let columns = [SVGCharts.HeatColumn(id: "21", score: 1, group: "generated"), SVGCharts.HeatColumn(id: "22", score: 0.5, group: "generated"),
                       SVGCharts.HeatColumn(id: "23", score: nil, group: "ground truth")]
        let svg = SVGCharts.heatMap(title: "m", rows: rows, columns: columns, cells: statuses, xLabel: "tests", yLabel: "solutions")
        let cells = captures(#"<rect class="(cell v-[a-z_]+)"[^>]* data-row="[0-9]+" data-col="[0-9]+""#, in: svg)
        XCTAssertEqual(cells.count, 6)
        let triples = try! NSRegularExpression(pattern: #"<rect class="cell (v-[a-z_]+)"[^>]* data-row="([0-9]+)" data-col="([0-9]+)""#)
            .matches(in: svg, range: NSRange(svg.startIndex..., in: svg)).map { m in
                (1...3).map { String(svg[Range(m.range(at: $0), in: svg)!]) }
            }
        XCTAssertEqual(triples.map { $0.joined(separator: " ") }, [
            "v-pass 11 21", "v-fail 11 22", "v-none 11 23",
            "v-load_error 12 21", "v-timeout 12 22", "v-pass 12 23",
        ])
        XCTAssertEqual(captures(#"class="row" data-row="([0-9]+)""#, in: svg), ["11", "12"])
        XCTAssertEqual(captures(#"class="mark (mark-[a-z]+)"[^>]*>[✓✗]</text>"#, in: svg), ["mark-chosen", "mark-rejected"])
        XCTAssertTrue(svg.contains(">ground truth</text>"), "ground-truth columns are labelled as their own group")
    }

    func testTextIsEscapedEverywhere() {
        let evil = "<script>alert('x')</script> & \"q\""
        let heat = SVGCharts.heatMap(title: evil, rows: [SVGCharts.HeatRow(id: evil, label: evil, score: 1, tooltip: evil)],
                                     columns: [SVGCharts.HeatColumn(id: evil, score: 1, group: evil, tooltip: evil)],
                                     cells: [["pass"]], xLabel: evil, yLabel: evil)
        let bars = SVGCharts.horizontalBars(title: evil, bars: [SVGCharts.Bar(label: evil, value: 1, tooltip: evil)], xLabel: evil, yLabel: evil)
        let lines = SVGCharts.lineChart(title: evil, series: [SVGCharts.Series(name: evil, points: [(0, 1), (1, 0)], color: "#000")], xLabel: evil, yLabel: evil)
        for svg in [heat, bars, lines] {
            XCTAssertFalse(svg.contains("<script"), svg)
            XCTAssertFalse(svg.contains("\"q\""), "quotes inside attributes are escaped")
            XCTAssertTrue(svg.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"))
        }
        XCTAssertEqual(Markup.escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;")
    }

    func testTicksAndNumbers() {
        XCTAssertEqual(SVGCharts.ticks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertEqual(SVGCharts.ticks(0, 7000), [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000])
        XCTAssertEqual(SVGCharts.niceCeiling(183), 200)
        XCTAssertEqual(Markup.number(14465), "14,465")
        XCTAssertEqual(Markup.number(0.12345), "0.123")
        XCTAssertEqual(ReportData.normalize([2, 4, 1]), [0.5, 1, 0.25])
        XCTAssertEqual(ReportData.normalize([3, 3]), [1, 1])
        XCTAssertEqual(ReportData.normalize([-1, 1]), [0, 1])
    }
}

/// The report over small databases built here.
final class ReportDataTests: XCTestCase {
    var db: Database!
    var runID: Int64 = 0
    var configID: Int64 = 0

    override func setUpWithError() throws {
        (db, runID, configID) = try databaseWithConfig(self)
    }

    /// A problem whose solutions get verdicts as `rows` says (1 pass, 0 fail, or a status
    /// name), with one ground-truth test when `groundTruth` is given; returns solution ids.
    @discardableResult
    func problem(_ name: String, _ rows: [[Any]], groundTruth: [Bool]? = nil, counts: [Int]? = nil, codes: [String]? = nil) throws -> [Int64] {
        try db.run("INSERT INTO problems (external_id, content_hash, prompt, run_id) VALUES (?, ?, 'def f(x):\n', ?)", name, SHA256.hex(name), runID)
        let problem = db.lastInsertRowID
        var tests: [Int64] = []
        for j in 0..<(rows.first?.count ?? 0) {
            try db.run("INSERT INTO tests (problem_id, kind, content_hash, code, sample_count, run_id) VALUES (?, 'generated', ?, ?, 1, ?)",
                       problem, "\(name)-t\(j)", "assert f(\(j)) == \(j)", runID)
            tests.append(db.lastInsertRowID)
        }
        var gt: Int64?
        if groundTruth != nil {
            try db.run("INSERT INTO tests (problem_id, kind, content_hash, code, sample_count, run_id) VALUES (?, 'ground_truth', ?, 'assert f(9) == 9', 1, ?)",
                       problem, "\(name)-gt", runID)
            gt = db.lastInsertRowID
        }
        var solutions: [Int64] = []
        for (i, row) in rows.enumerated() {
            try db.run("INSERT INTO solutions (problem_id, content_hash, code, sample_count, run_id) VALUES (?, ?, ?, ?, ?)",
                       problem, "\(name)-s\(i)", codes?[i] ?? "def f(x):\n    return x + \(i)\n", counts?[i] ?? 1, runID)
            let solution = db.lastInsertRowID
            solutions.append(solution)
            for (j, verdict) in row.enumerated() {
                let status = (verdict as? Int).map { $0 == 1 ? "pass" : "fail" } ?? (verdict as! String)
                try db.run("INSERT INTO executions (config_id, solution_id, test_id, status, run_id) VALUES (?, ?, ?, ?, ?)",
                           configID, solution, tests[j], status, runID)
            }
            if let gt, let correct = groundTruth?[i] {
                try db.run("INSERT INTO executions (config_id, solution_id, test_id, status, run_id) VALUES (?, ?, ?, ?, ?)",
                           configID, solution, gt, correct ? "pass" : "fail", runID)
            }
        }
        return solutions
    }

    /// Two problems, scored by three strategies, a pair set with correctness and efficiency
    /// pairs. Problem "A<b>" has a wrong test (t3) passed only by the two wrong solutions.
    /// Solutions are inserted worst-first, so id order is not score order. Returns A's ids
    /// best first.
    func buildPipeline() throws -> (a: [Int64], b: [Int64], selfValidation: Int64, pairSet: Int64) {
        let inserted = try problem("A<b>", [["load_error", "load_error", "load_error", "load_error"], [0, 0, 0, 1], [0, 0, 0, 1], [1, 1, 0, 0], [1, 1, 1, 0]],
                                   groundTruth: [false, false, false, true, true], counts: [1, 1, 1, 1, 3],
                                   codes: ["def f(x):\n    return x +\n", "def f(x):\n    return 0\n",
                                           "def f(x):\n    return '</pre><script>alert(\"pwned\")</script>'\n",
                                           "def f(x):\n    return int(x)\n", "def f(x):\n    return x\n"])
        let a = Array(inserted.reversed())
        let b = try problem("B", [[1, 1], [1, 0], [0, 0]], groundTruth: [true, false, false])
        let sv = try ScoreRunner(db: db, runID: runID, configID: configID).run(SelfValidation(damping: 0.85, iterations: 5))
        _ = try ScoreRunner(db: db, runID: runID, configID: configID).run(PassCount())
        _ = try ScoreRunner(db: db, runID: runID, configID: configID).run(RandomScores(seed: 1))
        // An efficiency run timing A's two correct solutions: the second takes 3x as long.
        try db.run("INSERT INTO efficiency_runs (run_id, score_run_id, method, repeat) VALUES (?, ?, 'cpu_time', 3)", runID, sv.scoreRunID)
        let efficiencyRun = db.lastInsertRowID
        let problemA = try db.int("SELECT problem_id FROM solutions WHERE id = ?", a[0])!
        for (solution, median, rank) in [(a[0], 0.001, 1), (a[1], 0.003, 2)] {
            try db.run("""
                INSERT INTO efficiency_results (efficiency_run_id, solution_id, problem_id, status, median, spread, unit, rank)
                VALUES (?, ?, ?, 'ranked', ?, 0.00001, 'seconds', ?)
                """, efficiencyRun, solution, problemA, median, rank)
        }
        let pairs = try PairBuilder(db: db, runID: runID).build(name: "v<1>", scoreRun: sv.scoreRunID, efficiencyRun: efficiencyRun, policy: PairPolicy())
        XCTAssertEqual(pairs.efficiencyPairs, 1)
        XCTAssertGreaterThan(pairs.correctnessPairs, 0)
        return (a, b, sv.scoreRunID, pairs.pairSetID)
    }

    func testAFullPipelineFillsEverySectionAndEscapesText() throws {
        let (a, _, sv, _) = try buildPipeline()
        let executions = try db.int("SELECT count(*) FROM executions")
        let data = try ReportData.load(db)
        XCTAssertEqual(try db.int("SELECT count(*) FROM executions"), executions, "the report never executes anything")
        XCTAssertEqual(data.scoreRun?.id, sv, "focus: the latest self-validation run, though pass-count and random came later")
        XCTAssertEqual(data.pairSet, "v<1>")
        XCTAssertEqual(data.counts.first { $0.item == "verdicts" }?.value, executions)
        XCTAssertEqual(data.executionStatuses.map(\.status), try db.rows("SELECT status FROM executions GROUP BY status ORDER BY count(*) DESC, status").map { $0[0].string! })
        XCTAssertEqual(Set(data.executionStatuses.map(\.status)), ["pass", "fail", "load_error"])

        // Section 2: one normalized score per solution and test.
        XCTAssertEqual(data.distribution.solutionScores.count, 8)
        XCTAssertEqual(data.distribution.testScores.count, 6)
        XCTAssertEqual(data.distribution.solutionScores.max(), 1)

        // Section 3: the wrong test (passed only by wrong solutions) ends far below the right ones.
        let convergence = try XCTUnwrap(data.convergence)
        XCTAssertEqual(convergence.iterations, 6)
        XCTAssertEqual(convergence.wrongTests, 1)
        let wrong = try XCTUnwrap(convergence.wrongTestMean), right = try XCTUnwrap(convergence.rightTestMean)
        XCTAssertEqual(wrong[0], 1)
        XCTAssertLessThan(wrong.last!, 0.5)
        XCTAssertGreaterThan(right.last!, 0.9)
        XCTAssertEqual(convergence.topChanged[0], 0)
        XCTAssertEqual(convergence.trajectories.first?.right, false)
        XCTAssertEqual(convergence.trajectories.first?.problem, "A<b>")

        // Section 4: rows by final score, best first; the pair's solutions are marked.
        let matrix = try XCTUnwrap(data.problems.first { $0.externalID == "A<b>" })
        let finalScores = try db.rows("SELECT solution_id, score FROM solution_ranking WHERE score_run_id = ?", sv)
            .reduce(into: [Int64: Double]()) { $0[$1[0].int64!] = $1[1].double! }
        XCTAssertEqual(matrix.solutions.map(\.score), matrix.solutions.map { finalScores[$0.id]! }.sorted(by: >))
        XCTAssertEqual(matrix.solutions.first?.id, a[0])
        XCTAssertEqual(matrix.tests.count, 4)
        XCTAssertEqual(matrix.groundTruth.count, 1)
        XCTAssertEqual(matrix.status(a[4], matrix.tests[0].id), "load_error")
        let svg = HTMLReport.heatMap(matrix)
        XCTAssertEqual(captures(#"class="row" data-row="([0-9]+)""#, in: svg), matrix.solutions.map { String($0.id) })
        XCTAssertEqual(captures(#"<rect class="cell (v-[a-z_]+)""#, in: svg).count, 5 * 5)
        let chosen = try XCTUnwrap(matrix.pairs.first?.chosen)
        let chosenRow = try XCTUnwrap(svg.range(of: "data-row=\"\(chosen)\"><title>"))
        XCTAssertTrue(svg[chosenRow.upperBound...].prefix(1200).contains("mark-chosen"))

        // Section 5: the same numbers as codedpo eval.
        let evaluation = try Evaluator(db: db).evaluate(scoreRun: sv)
        let strategy = try XCTUnwrap(data.strategies.first { $0.run.id == sv })
        XCTAssertEqual(strategy.topPassRate, evaluation.topPassRate)
        XCTAssertEqual(strategy.randomPassRate, evaluation.randomPassRate)
        XCTAssertEqual(data.strategies.map(\.run.strategy), ["self-validation", "pass-count", "random"])

        // Section 6: rejected median / chosen median.
        let efficiency = try XCTUnwrap(data.efficiency)
        XCTAssertEqual(efficiency.speedups.count, 1)
        XCTAssertEqual(efficiency.speedups[0].speedup, 3, accuracy: 1e-9)
        XCTAssertEqual(efficiency.minSpeedup, 1.1)

        let page = HTMLReport.render(data)
        XCTAssertEqual(page.sections.map(\.id), ["counts", "scores", "convergence", "matrices", "strategies", "efficiency"])
        XCTAssertEqual(page.sections.filter(\.hasContent).count, 6, "\(page.sections)")
        XCTAssertFalse(page.html.contains("<script"), "no script, and code is escaped")
        XCTAssertFalse(page.html.contains("A<b>"))
        XCTAssertTrue(page.html.contains("A&lt;b&gt;"))
        XCTAssertTrue(page.html.contains("&lt;/pre&gt;&lt;script&gt;alert(&quot;pwned&quot;)"), "the solution's code is shown, escaped")
        XCTAssertTrue(page.html.contains("v&lt;1&gt;"))
        XCTAssertTrue(page.html.contains(CodeDPO.version) && page.html.contains(db.path))
        XCTAssertFalse(page.html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "").contains("http"),
                       "nothing refers to the network")
        for reference in captures(#"(?:src|href)="([^"]*)""#, in: page.html) {
            XCTAssertTrue(reference.hasPrefix("#"), "only in-page links: \(reference)")
        }
        // Every chart has a title and a caption.
        let charts = page.html.components(separatedBy: "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart").count - 1
        XCTAssertGreaterThanOrEqual(charts, 7)
        XCTAssertEqual(page.html.components(separatedBy: "<text class=\"chart-title\"").count - 1, charts)
        XCTAssertEqual(page.html.components(separatedBy: "<figcaption>").count - 1, charts)
    }

    /// The report reads a run's scores in one pass per score index when ids follow problems;
    /// the slices are the ones the problem-by-problem reads give.
    func testStreamedScoresAreTheProblemByProblemSlices() throws {
        let (_, _, sv, _) = try buildPipeline()
        let run = try XCTUnwrap(try ReportData.load(db).scoreRuns.first { $0.id == sv })
        let focus = try ReportFocus(db: db, run: run, groundTruth: try GroundTruthTable(db: db, configID: configID))
        var streamed: [ReportFocus.Slice] = [], single: [ReportFocus.Slice] = []
        try focus.streamProblems(first: 0, problemOfTest: try XCTUnwrap(try focus.testsInProblemOrder())) { streamed.append($0) }
        try focus.problemByProblem(first: 0) { single.append($0) }
        XCTAssertEqual(streamed.count, 2)
        XCTAssertEqual(streamed.map(\.problem), single.map(\.problem))
        for (a, b) in zip(streamed, single) {
            XCTAssertEqual(a.solutionIDs, b.solutionIDs)
            XCTAssertEqual(a.solutionValues, b.solutionValues)
            XCTAssertEqual(a.testIDs, b.testIDs)
            XCTAssertEqual(a.testValues, b.testValues)
        }
        // Rows of a problem after another problem's: the problem-by-problem reads are used.
        XCTAssertTrue(ReportFocus.followsProblems([0, 1, 1, 0, 2]))
        XCTAssertFalse(ReportFocus.followsProblems([0, 2, 2, 1]))
    }

    func testAnEmptyDatabaseSaysWhatToRun() throws {
        let page = HTMLReport.render(try ReportData.load(try migratedDatabase(self)))
        XCTAssertEqual(page.sections.filter(\.hasContent).count, 0)
        XCTAssertTrue(page.html.contains("no score runs yet — run codedpo score"))
        XCTAssertTrue(page.html.contains("no verdicts yet — run codedpo execute"))
        XCTAssertTrue(page.html.contains("no efficiency runs yet"))
        XCTAssertFalse(page.html.contains("<script"))
    }

    func testMissingGroundTruthVerdictsAreNotEvaluatedAndNotExecuted() throws {
        try problem("C", [[1, 0], [0, 1]])
        // A ground-truth test without verdicts.
        try db.run("INSERT INTO tests (problem_id, kind, content_hash, code, sample_count, run_id) VALUES (1, 'ground_truth', 'gt', 'assert f(1) == 1', 1, ?)", runID)
        let run = try ScoreRunner(db: db, runID: runID, configID: configID).run(PassCount())
        let data = try ReportData.load(db)
        XCTAssertEqual(data.scoreRun?.id, run.scoreRunID, "no self-validation run: the latest run")
        XCTAssertNil(data.convergence)
        XCTAssertEqual(data.strategies.count, 1)
        XCTAssertNil(data.strategies[0].topPassRate)
        XCTAssertEqual(data.strategies[0].missingVerdicts, 2)
        XCTAssertEqual(try db.int("SELECT count(*) FROM executions"), 4, "nothing was executed")
        let page = HTMLReport.render(data)
        XCTAssertTrue(page.html.contains("not evaluated; run codedpo eval"))
        XCTAssertTrue(page.html.contains("run `codedpo score --strategy self-validation` to see convergence"))
        XCTAssertFalse(page.sections.first { $0.id == "strategies" }!.hasContent)
    }

    func testAChosenScoreRunIsFocusedAndAnUnknownOneRefused() throws {
        try problem("D", [[1, 0], [0, 1], [1, 1]])
        let sv = try ScoreRunner(db: db, runID: runID, configID: configID).run(SelfValidation(iterations: 3))
        let count = try ScoreRunner(db: db, runID: runID, configID: configID).run(PassCount())
        let data = try ReportData.load(db, options: ReportData.Options(scoreRun: count.scoreRunID))
        XCTAssertEqual(data.scoreRun?.id, count.scoreRunID)
        XCTAssertEqual(data.convergence?.run.id, sv.scoreRunID, "convergence falls back to the latest self-validation run")
        XCTAssertThrowsMessage(try ReportData.load(db, options: ReportData.Options(scoreRun: 99)), contains: ["no score run 99"])
        // Pass matrices of the problems asked for, in that order.
        try problem("E", [[1], [0]])
        let both = try ScoreRunner(db: db, runID: runID, configID: configID).run(PassCount())
        var options = ReportData.Options(scoreRun: both.scoreRunID)
        options.problems = ["E", "D"]
        XCTAssertEqual(try ReportData.load(db, options: options).problems.map(\.externalID), ["E", "D"])
        options.problems = ["nope"]
        XCTAssertThrowsMessage(try ReportData.load(db, options: options), contains: ["no problem \"nope\""])
    }

    func testLargeMatricesKeepTheirTopBottomAndPairRows() throws {
        // 60 solutions, 70 tests: solution i passes the first 11 + i tests (the last is best).
        let rows: [[Any]] = (0..<60).map { i in (0..<70).map { $0 < 11 + i ? 1 : 0 } }
        let ids = try problem("big", rows)
        let run = try ScoreRunner(db: db, runID: runID, configID: configID).run(PassCount())
        var policy = PairPolicy()
        policy.pairsPerProblem = 3
        policy.efficiency = false
        _ = try PairBuilder(db: db, runID: runID).build(name: "p", scoreRun: run.scoreRunID, efficiencyRun: nil, policy: policy)
        let data = try ReportData.load(db)
        let matrix = try XCTUnwrap(data.problems.first)
        let svg = HTMLReport.heatMap(matrix)
        let shownRows = captures(#"class="row" data-row="([0-9]+)""#, in: svg).map { Int64($0)! }
        XCTAssertEqual(shownRows.count, HTMLReport.maxMatrixRows)
        XCTAssertEqual(shownRows.first, ids[59])
        XCTAssertEqual(shownRows.last, ids[0])
        XCTAssertEqual(shownRows, shownRows.sorted(by: >), "best (highest id here) first")
        for pair in matrix.pairs { XCTAssertTrue(shownRows.contains(pair.chosen) && shownRows.contains(pair.rejected)) }
        XCTAssertTrue(svg.contains("⋯ \(60 - HTMLReport.maxMatrixRows) more"))
        XCTAssertEqual(captures(#"<rect class="cell (v-[a-z_]+)""#, in: svg).count, HTMLReport.maxMatrixRows * HTMLReport.maxMatrixTests)
    }
}
