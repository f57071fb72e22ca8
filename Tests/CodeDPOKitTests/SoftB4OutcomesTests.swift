import XCTest

@testable import CodeDPOKit

/// soft-b4-outcomes on matrices small enough to score by hand, and the outcome signature.
final class SoftB4OutcomesTests: XCTestCase {
    /// A, B and C pass test 1 and fail test 2; D fails both. On test 2, A and B fail with the
    /// same value (outcome 1), C with another (outcome 2); D raises on both (outcome 3).
    /// soft-b4 scores one hypothesis h for A, B, C and h - 1 for D (no hypothesis that passes
    /// nothing ranks above one that passes), so the gap between hypotheses is 1 and a
    /// solution adds 1/2 x (samples sharing its outcomes) / (N + 1), N = 4 samples:
    ///   A = B = h + 0.5 x 2/5 = h + 0.2,  C = h + 0.5 x 1/5 = h + 0.1,  D = h - 1 + 0.1.
    func testTiesWithinAHypothesisGoToTheMostSharedOutcomes() {
        let matrix = PassMatrix([[1, 0], [1, 0], [1, 0], [0, 0]], outcomes: [[0, 1], [0, 1], [0, 2], [3, 3]])
        let soft = SoftB4().score(matrix).finalSolutionScores
        XCTAssertEqual(soft[0], soft[2], "soft-b4 ties A and C")
        let h = soft[0]
        let scores = SoftB4Outcomes().score(matrix).finalSolutionScores
        XCTAssertEqual(scores[0], h + 0.2, accuracy: 1e-9)
        XCTAssertEqual(scores[1], h + 0.2, accuracy: 1e-9)
        XCTAssertEqual(scores[2], h + 0.1, accuracy: 1e-9)
        XCTAssertEqual(scores[3], h - 0.9, accuracy: 1e-9)
        // Sample multiplicity counts: C sampled 3 times is shared by 3 samples, A and B by 2.
        let weighted = SoftB4Outcomes().score(PassMatrix([[1, 0], [1, 0], [1, 0], [0, 0]], solutionCounts: [1, 1, 3, 1],
                                                         outcomes: [[0, 1], [0, 1], [0, 2], [3, 3]])).finalSolutionScores
        XCTAssertGreaterThan(weighted[2], weighted[0])
        XCTAssertEqual(weighted[0], weighted[1])
        XCTAssertEqual(SoftB4Outcomes(multiplicity: false).score(PassMatrix([[1, 0], [1, 0], [1, 0], [0, 0]], solutionCounts: [1, 1, 3, 1],
                                                                            outcomes: [[0, 1], [0, 1], [0, 2], [3, 3]])).finalSolutionScores[0],
                       h + 0.2, accuracy: 1e-9, "without multiplicity every row is one sample")
    }

    /// The tie-break never crosses hypotheses: B4's hand-worked matrix (A passes all 4
    /// tests once; B passes 3, sampled twice, both failing test 4 the same way). soft-b4
    /// ranks A first, and so does soft-b4-outcomes, although B's outcomes are shared by more
    /// samples.
    func testTheHypothesisDecidesBeforeTheOutcomes() {
        let matrix = PassMatrix([[1, 1, 1, 1], [1, 1, 1, 0]], solutionCounts: [1, 2], outcomes: [[0, 0, 0, 0], [0, 0, 0, 1]])
        let soft = SoftB4().score(matrix).finalSolutionScores
        let scores = SoftB4Outcomes().score(matrix).finalSolutionScores
        XCTAssertGreaterThan(soft[0], soft[1])
        XCTAssertGreaterThan(scores[0], scores[1])
        XCTAssertLessThan(scores[0] - soft[0], (soft[0] - soft[1]) / 2, "the tie-break stays below half the gap")
    }

    /// Without outcomes (or with one outcome per pattern) it ranks as soft-b4.
    func testWithoutOutcomesItRanksAsSoftB4() {
        let rows = [[1, 1, 0, 1], [1, 1, 0, 1], [1, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1]]
        let matrix = PassMatrix(rows, solutionCounts: [2, 1, 3, 1, 1])
        let soft = SoftB4().score(matrix).finalSolutionScores
        let scores = SoftB4Outcomes().score(matrix).finalSolutionScores
        for i in rows.indices {
            for k in rows.indices {
                XCTAssertEqual(soft[i] < soft[k], scores[i] < scores[k], "order of \(i) and \(k)")
                XCTAssertEqual(soft[i] == soft[k], scores[i] == scores[k], "tie of \(i) and \(k)")
            }
        }
        XCTAssertEqual(SoftB4Outcomes().score(matrix).finalTestScores, SoftB4().score(matrix).finalTestScores)
        let empty = SoftB4Outcomes().score(PassMatrix(solutions: [1, 2], tests: [], passes: [])).finalSolutionScores
        XCTAssertEqual(empty.count, 2)
        XCTAssertEqual(empty[0], empty[1])
        XCTAssertTrue(empty.allSatisfy(\.isFinite))
    }

    func testOutcomeSignatureKeepsWhatTheCodeDidAndDropsTheRest() {
        XCTAssertEqual(OutcomeSignature.of(status: "pass", error: nil), "pass")
        XCTAssertEqual(OutcomeSignature.of(status: "fail", error: "AssertionError: assert 5 == 7 (test line 1)"),
                       "fail: AssertionError: assert 5 == 7 (test line 1)")
        XCTAssertEqual(OutcomeSignature.of(status: "error", error: "NameError: name 'f' is not defined (solution line 15)"),
                       OutcomeSignature.of(status: "error", error: "NameError: name 'f' is not defined (solution line 3)"),
                       "where in the code it was raised is layout, not behaviour")
        XCTAssertEqual(OutcomeSignature.of(status: "fail", error: "AssertionError: assert <generator object g at 0x7f8c822587c0> == [] (test line 2)"),
                       OutcomeSignature.of(status: "fail", error: "AssertionError: assert <generator object g at 0x7f00aa> == [] (test line 2)"))
        XCTAssertNotEqual(OutcomeSignature.of(status: "fail", error: "AssertionError: assert 5 == 7 (test line 1)"),
                          OutcomeSignature.of(status: "fail", error: "AssertionError: assert None == 7 (test line 1)"))
        XCTAssertEqual(OutcomeSignature.of(status: "memory", error: "killed by signal 9 near the memory limit (max rss 1234 KB)"), "memory")
        XCTAssertEqual(OutcomeSignature.of(status: "timeout", error: "timed out after 0.1s"), "timeout")
        XCTAssertEqual(OutcomeSignature.of(status: "fail", error: nil), "fail")
        var interner = OutcomeSignature.Interner()
        XCTAssertEqual(interner.id("pass"), 0)
        XCTAssertEqual(interner.id("fail: x"), 1)
        XCTAssertEqual(interner.id("timeout"), 2)
        XCTAssertEqual(interner.id("fail: x"), 1)
    }
}
