import XCTest

@testable import CodeDPOKit

/// pass@k per benchmark and test set, paired differences and the efficiency comparison, on
/// hand-made outcomes.
final class ModelEvaluationTests: XCTestCase {
    func outcome(_ model: String, _ problem: String, n: Int, base: Int, plus: Int, hasPlus: Bool = true, cpu: Double? = nil) -> ModelProblemOutcome {
        ModelProblemOutcome(model: model, problem: problem, benchmark: ModelProblemOutcome.benchmark(of: problem), samples: n,
                            correctBase: base, correctPlus: plus, hasPlus: hasPlus, cpuSeconds: cpu)
    }

    func testBaseAndPlusSetsPerBenchmark() throws {
        let outcomes = [
            outcome("a", "HumanEvalPlus/HumanEval/0", n: 4, base: 2, plus: 1),
            outcome("a", "HumanEvalPlus/HumanEval/1", n: 4, base: 4, plus: 4),
            outcome("a", "Mbpp/2", n: 4, base: 0, plus: 0, hasPlus: false),
        ]
        let report = try ModelEvaluationReport.compute(outcomes, ks: [1, 2], efficiency: false)
        XCTAssertEqual(report.scores.map { "\($0.benchmark) \($0.testSet.rawValue)" },
                       ["HumanEvalPlus/HumanEval base", "HumanEvalPlus/HumanEval plus", "Mbpp base"])
        let plus = report.scores[1]
        // pass@1: (1/4 + 1) / 2; pass@2: (1 - C(3,2)/C(4,2) + 1) / 2 = (0.5 + 1) / 2
        XCTAssertEqual(plus.passAtK[0].value, 0.625, accuracy: 1e-12)
        XCTAssertEqual(plus.passAtK[1].value, 0.75, accuracy: 1e-12)
        XCTAssertEqual(report.scores[0].passAtK[0].value, 0.75, accuracy: 1e-12)
        XCTAssertThrowsMessage(try ModelEvaluationReport.compute(outcomes, ks: [5], efficiency: false),
                               contains: ["pass@5 needs at least 5 samples", "Nothing was stored"])
    }

    func testPairedDifferenceAndSpeedup() throws {
        let outcomes = [
            outcome("fast", "B/0", n: 2, base: 2, plus: 2, hasPlus: false, cpu: 1.0),
            outcome("fast", "B/1", n: 2, base: 1, plus: 1, hasPlus: false, cpu: 1.0),
            outcome("slow", "B/0", n: 2, base: 2, plus: 2, hasPlus: false, cpu: 4.0),
            outcome("slow", "B/1", n: 2, base: 0, plus: 0, hasPlus: false),
            outcome("slow", "B/2", n: 2, base: 2, plus: 2, hasPlus: false, cpu: 1.0),
        ]
        let report = try ModelEvaluationReport.compute(outcomes, ks: [1], efficiency: true)
        let difference = try XCTUnwrap(report.differences.first)
        XCTAssertEqual([difference.a, difference.b], ["fast", "slow"])
        XCTAssertEqual(difference.difference.problems, 2)   // B/2 has no sample of "fast"
        XCTAssertEqual(difference.difference.mean, 0.25, accuracy: 1e-12)
        let speed = try XCTUnwrap(report.efficiency.first)
        XCTAssertEqual(speed.problems, 1)                   // only B/0 is solved by both with times
        XCTAssertEqual(speed.speedup, 4, accuracy: 1e-12)
        XCTAssertEqual(speed.aFaster, 1)
        XCTAssertEqual(speed.bFaster, 0)
    }
}
