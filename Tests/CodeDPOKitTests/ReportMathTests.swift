import Foundation
import XCTest

@testable import CodeDPOKit

/// The report's computations on one problem's numbers, without a database.
final class ReportMathTests: XCTestCase {
    func testHolesTakeTheValueBeforeThem() {
        let filled = ReportMath.fillHoles([.nan, 2, .nan, .nan, 5])
        XCTAssertEqual(filled, [2, 2, 2, 2, 5])
    }

    func testHistoriesAreNormalizedIterationByIteration() {
        let norm = ReportMath.normalizedHistories([[1, 4], [2, 2]], iterations: 2)
        XCTAssertEqual(norm, [[0.5, 1], [1, 0.5]])
    }

    func testCorrectnessNeedsEveryGroundTruthVerdict() {
        XCTAssertEqual(ReportMath.correctness(groundTruthTests: 2, judged: [2, 2], passed: [2, 1]), [true, false])
        XCTAssertNil(ReportMath.correctness(groundTruthTests: 2, judged: [2, 1], passed: [2, 1]), "one verdict missing: unknown")
        XCTAssertNil(ReportMath.correctness(groundTruthTests: 0, judged: [0], passed: [0]), "no ground truth: unknown")
    }

    func testATestIsWrongWhenNoCorrectSolutionPassesIt() {
        XCTAssertEqual(ReportMath.rightness(correctPassing: 0, correctSolutions: 3), false)
        XCTAssertEqual(ReportMath.rightness(correctPassing: 3, correctSolutions: 3), true)
        XCTAssertNil(ReportMath.rightness(correctPassing: 1, correctSolutions: 3))
        XCTAssertNil(ReportMath.rightness(correctPassing: 0, correctSolutions: 0), "no correct solution known")
    }

    func testFlaggedTestsArePassedAndDistrustedOrWrong() {
        // passed by nobody (not flagged), distrusted, wrong but trusted, trusted and right.
        XCTAssertEqual(ReportMath.flaggedTests(passedBy: [0, 2, 3, 4], normalized: [0.1, 0.2, 0.9, 1], right: [false, nil, false, true]), 2)
    }

    func testMatrixCandidatesWithPairsThenFlaggedThenSpread() {
        typealias C = ReportMath.MatrixCandidate
        let ordered = C.ordered([C(problem: 1, pairs: 0, flagged: 0, spread: 0.9), C(problem: 2, pairs: 0, flagged: 1, spread: 0.1),
                                 C(problem: 3, pairs: 2, flagged: 0, spread: 0), C(problem: 4, pairs: 0, flagged: 0, spread: 0.9)])
        XCTAssertEqual(ordered.map(\.problem), [3, 2, 1, 4])
        XCTAssertEqual(ordered[0].why, "2 correctness pairs, score spread 0.00")
    }

    func testConvergenceTotalsAveragePerEntityAndProblem() {
        var totals = ReportMath.ConvergenceTotals(iterations: 3, trajectoryLimit: 6)
        // Problem 1: the top solution changes at iteration 1; test 10 is wrong and sinks.
        let values1: [[Double]] = [[1, 1, 1], [1, 2, 2]]
        totals.add(problem: 1, solutionValues: values1, solutionNorm: ReportMath.normalizedHistories(values1, iterations: 3),
                   testIDs: [10, 11], testNorm: [[1, 0.5, 0.25], [1, 1, 1]], passedBy: [2, 1], right: [false, true])
        // Problem 2: nothing moves.
        let values2: [[Double]] = [[3, 3, 3]]
        totals.add(problem: 2, solutionValues: values2, solutionNorm: ReportMath.normalizedHistories(values2, iterations: 3),
                   testIDs: [20], testNorm: [[1, 1, 1]], passedBy: [1], right: [nil])
        XCTAssertEqual(totals.topChangedShare(), [0, 0.5, 0])
        XCTAssertEqual(totals.meanTestChange(), [0, 0.5 / 3, 0.25 / 3])
        XCTAssertEqual(totals.wrongMean(), [1, 0.5, 0.25])
        XCTAssertEqual(totals.rightMean(), [1, 1, 1])
        XCTAssertEqual(totals.trajectories().map(\.test), [10], "the wrong test; right and trusted tests are not drawn")
    }

    func testTrajectoriesTakeAtMostTwoAProblemWrongOnesFirst() {
        var totals = ReportMath.ConvergenceTotals(iterations: 2, trajectoryLimit: 3)
        let values: [[Double]] = [[1, 1], [1, 1]]
        let norm = ReportMath.normalizedHistories(values, iterations: 2)
        totals.add(problem: 1, solutionValues: values, solutionNorm: norm, testIDs: [1, 2, 3, 4],
                   testNorm: [[1, 0.1], [1, 0.2], [1, 0.3], [1, 0.4]], passedBy: [1, 2, 2, 1], right: [false, false, false, nil])
        totals.add(problem: 2, solutionValues: values, solutionNorm: norm, testIDs: [5],
                   testNorm: [[1, 0.9]], passedBy: [1], right: [nil])
        // Problem 1's wrong tests by how many pass them (2 and 3 tie at 2 solutions; lower score first).
        XCTAssertEqual(totals.trajectories().map(\.test), [2, 3, 5])
    }
}
