import Foundation
import XCTest

@testable import CodeDPOKit

/// B4, MBR-exec, MaxPass and soft-b4 on matrices small enough to score by hand.
final class B4StrategyTests: XCTestCase {
    /// A passes all 4 tests (sampled once); B passes tests 1-3 (sampled twice).
    /// CodeT: A = 4 x sqrt(1) = 4, B = 3 x sqrt(2) = 4.24: B first.
    /// B4 (alpha 1e3, beta0 1e4), N = 3 samples, m = 4 tests, with B(a, b) the Beta function:
    ///   hypothesis A (y = 4 tests, x = A):
    ///     log B(1004, 1) = -log 1004;  log B(1001, 3) = log(2 / (1001 * 1002 * 1003))
    ///     B's 2 samples pass 6 of the 8 cells on y: log B(7, 3) = log(6! 2! / 9!) = -log 252
    ///     no assumed-wrong test: log B(1, 1e4) = -log 1e4
    ///   hypothesis B (y = tests 1-3, x = B):
    ///     log B(1003, 2) = -log(1003 * 1004);  log B(1002, 2) = -log(1002 * 1003)
    ///     A passes 3 of 3 cells on y: log B(4, 1) = -log 4
    ///     A passes 1 of 1 cell on the wrong test: log B(2, 1e4) = -log(1e4 * 10001)
    /// A: -41.69, B: -47.45. B4 picks A: it pays 1e4 for a wrong solution passing a wrong test.
    func testB4ScoresEachPatternByItsPosteriorAndDisagreesWithCodeT() {
        let matrix = PassMatrix([[1, 1, 1, 1], [1, 1, 1, 0]], solutionCounts: [1, 2])
        let a = -log(1004.0) + log(2 / (1001.0 * 1002 * 1003)) - log(252.0) - log(1e4)
        let b = -log(1003.0 * 1004) - log(1002.0 * 1003) - log(4.0) - log(1e4 * 10001)
        let scores = B4().score(matrix).finalSolutionScores
        XCTAssertEqual(scores[0], a, accuracy: 1e-9)
        XCTAssertEqual(scores[1], b, accuracy: 1e-9)
        XCTAssertEqual(scores[0], -41.688, accuracy: 0.001)
        XCTAssertGreaterThan(scores[0], scores[1], "B4 ranks A first")
        let codet = DualAgreement().score(matrix).finalSolutionScores
        XCTAssertGreaterThan(codet[1], codet[0], "CodeT ranks B first")
        // Tests: each scores the best hypothesis that holds it correct.
        XCTAssertEqual(B4().score(matrix).finalTestScores, Array(repeating: scores[0], count: 4))
    }

    /// A sample multiplicity of k is k identical rows, as in the reference implementation.
    func testB4CountsMultiplicityAsRepeatedRows() {
        let weighted = B4().score(PassMatrix([[1, 1, 1, 1], [1, 1, 1, 0]], solutionCounts: [1, 2])).finalSolutionScores
        let expanded = B4().score(PassMatrix([[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 1, 0]])).finalSolutionScores
        XCTAssertEqual(weighted[0], expanded[0], accuracy: 1e-9)
        XCTAssertEqual(weighted[1], expanded[1], accuracy: 1e-9)
        XCTAssertEqual(expanded[1], expanded[2], "identical rows are one hypothesis")
    }

    /// beta0 is the price of a wrong sample passing a wrong test: with it small, the larger
    /// cluster B wins instead.
    func testB4Beta0DecidesBetweenClusterAndCoverage() {
        let matrix = PassMatrix([[1, 1, 1, 1], [1, 1, 1, 0]], solutionCounts: [1, 2])
        let scores = B4(beta0: 1).score(matrix).finalSolutionScores
        XCTAssertGreaterThan(scores[1], scores[0])
        XCTAssertEqual(B4(beta0: 1e5).parameters.text, #"{"alpha":1000.0,"beta0":100000.0,"multiplicity":true}"#)
    }

    /// MBR-exec: the number of samples with the identical pattern, however many tests it passes.
    /// Rows: [1,1,1] once, [1,0,0] twice + once more as another program, [0,0,0] once.
    func testMBRExecCountsIdenticalPatterns() {
        let matrix = PassMatrix([[1, 1, 1], [1, 0, 0], [1, 0, 0], [0, 0, 0]], solutionCounts: [1, 2, 1, 1])
        let result = MBRExec().score(matrix)
        XCTAssertEqual(result.finalSolutionScores, [1, 3, 3, 1])
        XCTAssertEqual(result.finalTestScores, [4, 1, 1], "samples passing each test")
        XCTAssertEqual(MBRExec(multiplicity: false).score(matrix).finalSolutionScores, [1, 2, 2, 1])
        XCTAssertEqual(result.iterations, 1)
    }

    /// The B4 paper's MaxPass (tests passed, equal counts one tied group) is codedpo's
    /// pass-count: evaluation already breaks ties uniformly over the tied samples.
    func testMaxPassIsPassCount() {
        let matrix = PassMatrix([[1, 1, 0], [0, 1, 1], [1, 0, 0]], solutionCounts: [1, 3, 1])
        let scores = PassCount().score(matrix).finalSolutionScores
        XCTAssertEqual(scores, [2, 2, 1])
        // The first two tie at the top: a correct one sampled once and a wrong one sampled 3 times.
        XCTAssertEqual(ProblemOutcome(scores: scores, correct: [true, false, true], weights: [1, 3, 1]).topPassRate, 0.25)
    }

    /// Four samples fail every test, one passes the first of two: B4's best hypothesis is
    /// "both tests are wrong" (the empty pattern), CodeT's and soft-b4's is the one that passes.
    func testSoftB4NeverRanksThePatternThatPassesNothingFirst() {
        let matrix = PassMatrix([[0, 0], [1, 0]], solutionCounts: [4, 1])
        let b4 = B4().score(matrix).finalSolutionScores
        XCTAssertGreaterThan(b4[0], b4[1])
        let soft = SoftB4().score(matrix).finalSolutionScores
        XCTAssertGreaterThan(soft[1], soft[0])
        XCTAssertEqual(soft[0], soft[1] - 1, "one below the lowest pattern that passes a test")
        XCTAssertEqual(SoftB4().score(PassMatrix([[0, 0], [0, 0]])).finalSolutionScores.count, 2, "all empty: scored as B4 does")
    }

    /// Near-identical patterns support each other: [1,1,1,1] once and its neighbours
    /// [1,1,0,1] three times and [1,0,0,0] once. B4 takes the exact cluster of three; with
    /// soft support the full-coverage pattern gets 3 x (3/4)^4 from its neighbours and wins.
    func testSoftB4LetsNearIdenticalPatternsSupportEachOther() {
        let matrix = PassMatrix([[1, 1, 1, 1], [1, 1, 0, 1], [1, 0, 0, 0]], solutionCounts: [1, 3, 1])
        let b4 = B4().score(matrix).finalSolutionScores
        XCTAssertGreaterThan(b4[1], b4[0])
        let soft = SoftB4().score(matrix).finalSolutionScores
        XCTAssertGreaterThan(soft[0], soft[1])
        // A huge gamma counts exact patterns only: B4 again.
        let exact = SoftB4(gamma: 1000).score(matrix).finalSolutionScores
        for i in 0..<3 { XCTAssertEqual(exact[i], b4[i], accuracy: 1e-9) }
    }

    func testEmptyMatricesScore() {
        for strategy in [B4(), SoftB4(), MBRExec()] as [ScoringStrategy] {
            let result = strategy.score(PassMatrix(solutions: [1, 2], tests: [], passes: []))
            XCTAssertEqual(result.finalSolutionScores.count, 2)
            XCTAssertEqual(result.finalSolutionScores[0], result.finalSolutionScores[1])
            XCTAssertTrue(result.finalSolutionScores.allSatisfy(\.isFinite), strategy.name)
        }
    }
}

final class BootstrapTests: XCTestCase {
    func testSameSeedSameIntervalAndOtherSeedOther() {
        let a: [Double] = [1, 1, 0, 1, 0.5, 1, 0, 1, 1, 0]
        let b: [Double] = [0, 1, 0, 1, 0.5, 0, 0, 1, 0, 0]
        let first = Bootstrap(resamples: 2000, seed: 7).pairedDifference(a, b)
        XCTAssertEqual(first, Bootstrap(resamples: 2000, seed: 7).pairedDifference(a, b))
        // With continuous values another seed moves the ends (here few values repeat).
        let x = (0..<20).map { sin(Double($0)) }, y = (0..<20).map { cos(Double($0)) }
        XCTAssertEqual(Bootstrap(seed: 7).pairedDifference(x, y), Bootstrap(seed: 7).pairedDifference(x, y))
        XCTAssertNotEqual(Bootstrap(seed: 7).pairedDifference(x, y).low, Bootstrap(seed: 8).pairedDifference(x, y).low)
        XCTAssertEqual(first.difference, 0.3, accuracy: 1e-12)
        XCTAssertEqual(first.problems, 10)
        XCTAssertLessThanOrEqual(first.low, first.difference)
        XCTAssertGreaterThanOrEqual(first.high, first.difference)
        // Three of ten problems better by 1, none worse: every resample's mean is in [0, 1].
        XCTAssertGreaterThanOrEqual(first.low, 0)
        XCTAssertLessThanOrEqual(first.high, 1)
    }

    func testIdenticalRunsAreNotDistinguishableAndClearWinnersAre() {
        let a = [Double](repeating: 0.5, count: 30)
        let same = Bootstrap().pairedDifference(a, a)
        XCTAssertEqual(same, Bootstrap.Interval(difference: 0, low: 0, high: 0, problems: 30))
        XCTAssertFalse(same.distinguishable)
        XCTAssertEqual(same.verdict("A", "B"), "not distinguishable")
        let better = Bootstrap().pairedDifference([Double](repeating: 1, count: 30), [Double](repeating: 0, count: 15) + [Double](repeating: 1, count: 15))
        XCTAssertTrue(better.low > 0)
        XCTAssertEqual(better.verdict("A", "B"), "A better")
        let worse = Bootstrap().pairedDifference([Double](repeating: 0, count: 15) + [Double](repeating: 1, count: 15), [Double](repeating: 1, count: 30))
        XCTAssertEqual(worse.verdict("A", "B"), "B better")
    }

    /// The generator is part of the reproducibility promise: fixed values, checked against
    /// SplitMix64's published reference output for seed 1234567.
    func testSplitMix64MatchesItsReference() {
        var generator = SplitMix64(seed: 1_234_567)
        XCTAssertEqual(generator.next(), 6_457_827_717_110_365_317)
        XCTAssertEqual(generator.next(), 3_203_168_211_198_807_973)
    }

    func testQuantileInterpolatesLikeNumpy() {
        XCTAssertEqual(Bootstrap.quantile([0, 1, 2, 3, 4], 0.025), 0.1, accuracy: 1e-12)
        XCTAssertEqual(Bootstrap.quantile([0, 1, 2, 3, 4], 0.975), 3.9, accuracy: 1e-12)
    }

    func testPairedDifferencesOfRunsUseSharedProblems() {
        var a = EvaluationReport(scoreRunID: 1, strategy: "a", parameters: [:])
        a.problemTopPassRates = [10: 1, 11: 1, 12: 0]
        a.topPassRate = 2.0 / 3
        var b = EvaluationReport(scoreRunID: 2, strategy: "b", parameters: [:])
        b.problemTopPassRates = [10: 0, 11: 1, 13: 1]
        b.topPassRate = 2.0 / 3
        let difference = TopPassRateDifference.between(a, b, bootstrap: Bootstrap(resamples: 500))!
        XCTAssertEqual(difference.interval.problems, 2, "problems 10 and 11 only")
        XCTAssertEqual(difference.interval.difference, 0.5)
        XCTAssertEqual(TopPassRateDifference.all([a, b], bootstrap: Bootstrap(resamples: 500)).count, 1)
    }
}

/// The B4 family through the one translation from flags to strategies (CLI and pipeline).
final class B4RequestTests: XCTestCase {
    func testBeta0GridAndPriorsFromFlags() throws {
        let request = try ScoreRequest(flags: StepFlags(location: "score", fields: [("strategy", "b4"), ("beta0", "1e4,1e5,1e6"), ("alpha", .double(100))]))
        let strategies = try request.strategies()
        XCTAssertEqual(strategies.map(\.name), ["b4", "b4", "b4"])
        XCTAssertEqual(strategies.compactMap { ($0 as? B4)?.beta0 }, [1e4, 1e5, 1e6])
        XCTAssertEqual(strategies.compactMap { ($0 as? B4)?.alpha }, [100, 100, 100])
        var all = ScoreRequest()
        all.allStrategies = true
        XCTAssertEqual(try all.strategies().map(\.name), ScoreRequest.strategyNames, "--all-strategies runs every strategy once, in the listed order")
        var bad = ScoreRequest()
        bad.strategy = "soft-b4"
        bad.beta0 = "0"
        XCTAssertThrowsError(try bad.strategies())
    }
}
