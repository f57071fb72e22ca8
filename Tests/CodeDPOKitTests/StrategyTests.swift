import XCTest

@testable import CodeDPOKit

final class StrategyTests: XCTestCase {
    /// The paper's figure: c1 passes t1 and t2, c2 passes t2, d = 0.5.
    func testSelfValidationReproducesThePapersWorkedExample() {
        let matrix = PassMatrix([[1, 1], [0, 1]])
        let result = SelfValidation(damping: 0.5, iterations: 2).score(matrix)
        XCTAssertEqual(result.solutionScores.map { $0[0] }, [1, 1.75, 2.6875])
        XCTAssertEqual(result.solutionScores[1], [1.75, 1.25])
        XCTAssertEqual(result.testScores[1], [1, 1.5])
        XCTAssertEqual(result.testScores[2], [1.375, 2.25])
        XCTAssertEqual(result.solutionScores[2], [2.6875, 1.75])
        XCTAssertEqual(result.iterations, 2)
    }

    func testSelfValidationCountsMultiplicityAsRepeatedNodes() {
        // Solution 2 sampled twice is the same as two identical rows.
        let weighted = SelfValidation(damping: 0.85, iterations: 5).score(PassMatrix([[1, 0], [0, 1]], solutionCounts: [1, 2]))
        let expanded = SelfValidation(damping: 0.85, iterations: 5).score(PassMatrix([[1, 0], [0, 1], [0, 1]]))
        for k in 0...5 {
            XCTAssertEqual(weighted.solutionScores[k][0], expanded.solutionScores[k][0], accuracy: 1e-9)
            XCTAssertEqual(weighted.solutionScores[k][1], expanded.solutionScores[k][1], accuracy: 1e-9)
            XCTAssertEqual(weighted.testScores[k], expanded.testScores[k])
        }
        let plain = SelfValidation(damping: 0.85, iterations: 5, multiplicity: false).score(PassMatrix([[1, 0], [0, 1]], solutionCounts: [1, 2]))
        XCTAssertEqual(plain.finalSolutionScores[0], plain.finalSolutionScores[1], "without multiplicity the two are symmetric")
    }

    func testSelfValidationToleranceStopsEarlyOnlyWhenStable() {
        let matrix = PassMatrix([[1, 1, 1], [1, 0, 0], [0, 0, 0]])
        let full = SelfValidation(damping: 0.85, iterations: 50).score(matrix)
        XCTAssertEqual(full.iterations, 50)
        let early = SelfValidation(damping: 0.85, iterations: 50, tolerance: 1e9).score(matrix)
        XCTAssertEqual(early.iterations, 1, "a huge tolerance stops after the first unchanged ranking")
        XCTAssertEqual(SelfValidation.ranking(early.finalSolutionScores), SelfValidation.ranking(full.finalSolutionScores))
    }

    func testSelfValidationStaysFiniteAndRecordsItsRescaling() {
        let matrix = PassMatrix(Array(repeating: Array(repeating: 1, count: 60), count: 60))
        let result = SelfValidation(damping: 0.85, iterations: 200).score(matrix)
        XCTAssertTrue(result.finalSolutionScores.allSatisfy(\.isFinite))
        XCTAssertGreaterThan(result.scaleLog10.last!, 100)
        XCTAssertEqual(result.scaleLog10[0], 0)
    }

    func testEmptyRowsAndColumns() {
        // No tests: every score decays by (1 - d) per iteration, and they stay tied.
        let noTests = SelfValidation(iterations: 3).score(PassMatrix(solutions: [1, 2], tests: [], passes: [])).finalSolutionScores
        XCTAssertEqual(noTests[0], 0.15 * 0.15 * 0.15, accuracy: 1e-15)
        XCTAssertEqual(noTests[0], noTests[1])
        let result = SelfValidation(damping: 0.5, iterations: 1).score(PassMatrix([[1, 0], [0, 0]]))
        XCTAssertEqual(result.finalSolutionScores, [0.5 + 0.5 * 1.0, 0.5])
        XCTAssertEqual(result.finalTestScores, [1.0, 0.5], "a test nobody passes decays too")
        XCTAssertEqual(DualAgreement().score(PassMatrix(solutions: [], tests: [1], passes: [])).finalSolutionScores, [])
    }

    func testDualAgreementGroupsByPassSetAndCountsSamples() {
        let matrix = PassMatrix([[1, 1, 0], [1, 1, 0], [1, 0, 0], [0, 0, 0]], solutionCounts: [1, 1, 4, 3])
        let scores = DualAgreement().score(matrix).finalSolutionScores
        XCTAssertEqual(scores[0], 2 * 2.0.squareRoot(), accuracy: 1e-12, "two passes, a group of two samples")
        XCTAssertEqual(scores[1], scores[0])
        XCTAssertEqual(scores[2], 1 * 4.0.squareRoot(), accuracy: 1e-12, "one pass, one solution sampled four times")
        XCTAssertEqual(scores[3], 0)
        XCTAssertEqual(DualAgreement().score(matrix).finalTestScores, [6, 2, 0])
    }

    func testPassCountAndAllTests() {
        let matrix = PassMatrix([[1, 1, 1], [1, 0, 1], [0, 0, 0]])
        XCTAssertEqual(PassCount().score(matrix).finalSolutionScores, [3, 2, 0])
        XCTAssertEqual(AllTests().score(matrix).finalSolutionScores, [1, 0, 0])
        XCTAssertEqual(AllTests().score(PassMatrix(solutions: [1], tests: [], passes: [])).finalSolutionScores, [0],
                       "with no tests nothing has passed them all")
        XCTAssertEqual(PassCount().score(matrix).testScores.count, 2, "one-shot strategies store iteration 0 and 1")
    }

    func testTiesStayTies() {
        let matrix = PassMatrix([[1, 0], [1, 0], [0, 1]])
        for strategy in [SelfValidation() as ScoringStrategy, DualAgreement(), PassCount(), AllTests()] {
            let scores = strategy.score(matrix).finalSolutionScores
            XCTAssertEqual(scores[0], scores[1], strategy.name)
        }
    }

    func testRandomIsReproducibleAndDependsOnlyOnSeedAndId() {
        let a = RandomScores(seed: 7).score(PassMatrix(solutions: [10, 20, 30], tests: [1], passes: [true, false, true]))
        let b = RandomScores(seed: 7).score(PassMatrix(solutions: [30, 10], tests: [], passes: []))
        XCTAssertEqual(a.finalSolutionScores[0], b.finalSolutionScores[1])
        XCTAssertEqual(a.finalSolutionScores[2], b.finalSolutionScores[0])
        XCTAssertNotEqual(RandomScores(seed: 8).score(PassMatrix(solutions: [10], tests: [], passes: [])).finalSolutionScores[0],
                          a.finalSolutionScores[0])
        let many = RandomScores(seed: 1).score(PassMatrix(solutions: (1...10_000).map { Int64($0) }, tests: [], passes: [])).finalSolutionScores
        XCTAssertTrue(many.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(many.reduce(0, +) / 10_000, 0.5, accuracy: 0.02)
    }
}

final class ConsensusTests: XCTestCase {
    func testNearIdenticalPassSetsSupportEachOther() {
        // Rows 0-3 agree on all but one of eight tests each (a cluster split by CodeT into
        // four groups of one); row 4 is a lone solution passing one test more, four of them
        // tests the cluster fails. CodeT picks row 4; consensus picks the cluster.
        let matrix = PassMatrix([[0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0], [1, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0],
                                 [1, 1, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0], [1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0],
                                 [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1]])
        let codet = DualAgreement().score(matrix).finalSolutionScores
        XCTAssertEqual(codet.indices.max { codet[$0] < codet[$1] }, 4)
        let consensus = Consensus(gamma: 4).score(matrix).finalSolutionScores
        XCTAssertLessThan(consensus[4], consensus[0])
        XCTAssertLessThan(consensus[4], consensus[3])
    }

    func testHandComputedScores() {
        // Pass sets {0,1} and {0}: Jaccard 1/2. gamma 1: support0 = 1 + 0.5, support1 = 0.5 + 1.
        let scores = Consensus(gamma: 1).score(PassMatrix([[1, 1], [1, 0]])).finalSolutionScores
        XCTAssertEqual(scores[0], 2 * 1.5.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(scores[1], 1 * 1.5.squareRoot(), accuracy: 1e-12)
        // Large gamma is CodeT: only identical sets support each other.
        let matrix = PassMatrix([[1, 1, 0], [1, 1, 0], [1, 0, 1]], solutionCounts: [1, 2, 1])
        let sharp = Consensus(gamma: 200).score(matrix).finalSolutionScores
        let codet = DualAgreement().score(matrix).finalSolutionScores
        for i in 0..<3 { XCTAssertEqual(sharp[i], codet[i], accuracy: 1e-9) }
        // A solution passing nothing scores 0; no tests at all: everything ties.
        XCTAssertEqual(Consensus().score(PassMatrix([[0, 0], [1, 0]])).finalSolutionScores[0], 0)
        let none = Consensus().score(PassMatrix(solutions: [1, 2], tests: [], passes: [])).finalSolutionScores
        XCTAssertEqual(none[0], none[1])
    }

    func testWideMatricesUseEveryWord() {
        // 130 tests span three 64-bit words; pass sets differing only in the last word.
        let a = [Int](repeating: 1, count: 130)
        var b = a
        b[129] = 0
        let scores = Consensus(gamma: 1).score(PassMatrix([a, b])).finalSolutionScores
        let jaccard = 129.0 / 130.0
        XCTAssertEqual(scores[0], 130 * (1 + jaccard).squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(scores[1], 129 * (1 + jaccard).squareRoot(), accuracy: 1e-9)
    }
}
