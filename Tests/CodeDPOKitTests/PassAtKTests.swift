import XCTest

@testable import CodeDPOKit

/// pass@k against its closed form 1 - C(n-c, k) / C(n, k) on small cases.
final class PassAtKTests: XCTestCase {
    func binomial(_ n: Int, _ k: Int) -> Double {
        guard k >= 0, k <= n else { return 0 }
        var value = 1.0
        for i in 0..<k { value = value * Double(n - i) / Double(i + 1) }
        return value
    }

    func testMatchesClosedFormOnEverySmallCase() {
        for n in 1...12 {
            for c in 0...n {
                for k in 1...n {
                    let closed = 1 - binomial(n - c, k) / binomial(n, k)
                    let value = PassAtK.estimate(samples: n, correct: c, k: k)!
                    XCTAssertEqual(value, closed, accuracy: 1e-12, "n=\(n) c=\(c) k=\(k)")
                }
            }
        }
    }

    func testKnownValues() {
        XCTAssertEqual(PassAtK.estimate(samples: 5, correct: 2, k: 2)!, 0.7, accuracy: 1e-12)   // 1 - 3/10
        XCTAssertEqual(PassAtK.estimate(samples: 10, correct: 3, k: 1)!, 0.3, accuracy: 1e-12)  // pass@1 = c/n
        XCTAssertEqual(PassAtK.estimate(samples: 4, correct: 0, k: 3), 0)
        XCTAssertEqual(PassAtK.estimate(samples: 4, correct: 2, k: 3), 1)  // any 3 of 4 include a correct one
        // Large n does not overflow (the product form).
        XCTAssertEqual(PassAtK.estimate(samples: 200, correct: 1, k: 100)!, 0.5, accuracy: 1e-12)
    }

    func testUndefinedWhenKExceedsSamples() {
        XCTAssertNil(PassAtK.estimate(samples: 3, correct: 1, k: 4))
        XCTAssertNil(PassAtK.estimate(samples: 3, correct: 1, k: 0))
        XCTAssertNil(PassAtK.mean([(5, 1), (2, 2)], k: 3))
        XCTAssertEqual(PassAtK.mean([(5, 1), (5, 4)], k: 1)!, 0.5, accuracy: 1e-12)
    }

    func testPairedDifference() {
        let difference = PairedDifference.of([1, 1, 0, 1], [0, 1, 0, 0])!
        XCTAssertEqual(difference.mean, 0.5, accuracy: 1e-12)
        // differences 1, 0, 0, 1: sample variance 1/3, standard error sqrt(1/12)
        XCTAssertEqual(difference.standardError, (1.0 / 12).squareRoot(), accuracy: 1e-12)
        XCTAssertNil(PairedDifference.of([1], [1, 0]))
    }
}
