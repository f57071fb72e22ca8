import Foundation

/// A ranking of solutions (and tests) computed from a pass matrix alone: no I/O.
public protocol ScoringStrategy: Sendable {
    var name: String { get }
    /// Parameters as stored in `score_runs.parameters`.
    var parameters: JSON { get }
    func score(_ matrix: PassMatrix) -> ScoreResult
    /// Whether `score` reads `PassMatrix.outcomes` (how each failure happened), which the
    /// loader then reads from the verdicts' messages; most strategies need pass/fail only.
    var usesOutcomes: Bool { get }
}

extension ScoringStrategy {
    public var usesOutcomes: Bool { false }
}

/// The initial iteration: every score 1.
func initial(_ matrix: PassMatrix) -> ([Double], [Double]) {
    (Array(repeating: 1, count: matrix.solutionCount), Array(repeating: 1, count: matrix.testCount))
}

/// CodeDPO's self-validation score: PageRank-like on the bipartite pass graph. Each
/// iteration updates tests first, then codes from the fresh test scores:
///   s(t) <- (1-d) s(t) + d * sum_c s(c) Link(c,t)
///   s(c) <- (1-d) s(c) + d * sum_t s(t) Link(c,t)
/// With `multiplicity`, a solution sampled k times counts k times in the sums (as k nodes
/// of the paper's graph over raw samples would), and likewise a test.
public struct SelfValidation: ScoringStrategy {
    public var damping = 0.85
    public var iterations = 10
    /// Stop early once the ranking of solutions has not changed for this many iterations
    /// and no score moved by more than this relative amount (nil: run every iteration).
    public var tolerance: Double?
    public var multiplicity = true

    public init(damping: Double = 0.85, iterations: Int = 10, tolerance: Double? = nil, multiplicity: Bool = true) {
        self.damping = damping
        self.iterations = iterations
        self.tolerance = tolerance
        self.multiplicity = multiplicity
    }

    public var name: String { "self-validation" }
    public var parameters: JSON {
        .object([("damping", .double(damping)), ("iterations", .int(Int64(iterations))),
                 ("tolerance", JSON(tolerance)), ("multiplicity", .bool(multiplicity))])
    }

    public func score(_ matrix: PassMatrix) -> ScoreResult {
        let (c0, t0) = initial(matrix)
        var result = ScoreResult(solutionScores: [c0], testScores: [t0], scaleLog10: [0])
        let n = matrix.solutionCount, m = matrix.testCount
        let d = damping
        var codes = c0, tests = t0
        var scale = 0.0
        let codeWeight = matrix.solutionCounts.map { multiplicity ? Double($0) : 1 }
        let testWeight = matrix.testCounts.map { multiplicity ? Double($0) : 1 }
        for _ in 0..<iterations {
            var newTests = tests
            for j in 0..<m {
                var sum = 0.0
                for i in 0..<n where matrix.passed(i, j) { sum += codes[i] * codeWeight[i] }
                newTests[j] = (1 - d) * tests[j] + d * sum
            }
            var newCodes = codes
            for i in 0..<n {
                var sum = 0.0
                for j in 0..<m where matrix.passed(i, j) { sum += newTests[j] * testWeight[j] }
                newCodes[i] = (1 - d) * codes[i] + d * sum
            }
            // The update is linear in (codes, tests) together, so dividing both by one factor
            // changes no ranking; do it only when values would leave the safe range.
            let largest = max(newCodes.max() ?? 0, newTests.max() ?? 0)
            if largest > 1e100 {
                newCodes = newCodes.map { $0 / largest }
                newTests = newTests.map { $0 / largest }
                scale += log10(largest)
            }
            let converged = tolerance.map { tolerance in
                Self.ranking(newCodes) == Self.ranking(codes)
                    && zip(newCodes, codes).allSatisfy { abs($0 - $1) <= tolerance * max(abs($1), 1e-300) }
            } ?? false
            codes = newCodes
            tests = newTests
            result.solutionScores.append(codes)
            result.testScores.append(tests)
            result.scaleLog10.append(scale)
            if converged { break }
        }
        return result
    }

    static func ranking(_ scores: [Double]) -> [Int] {
        scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
    }
}

/// CodeT's dual execution agreement: solutions that pass exactly the same set of tests form a
/// consensus group; every member scores (tests passed) x sqrt(group size), the size counting
/// sample multiplicity. A test scores the number of (sampled) solutions that pass it.
public struct DualAgreement: ScoringStrategy {
    public init() {}
    public var name: String { "codet" }
    public var parameters: JSON { .object([]) }

    public func score(_ matrix: PassMatrix) -> ScoreResult {
        let (c0, t0) = initial(matrix)
        let m = matrix.testCount
        var groups: [[Bool]: Int] = [:]
        var keys: [[Bool]] = []
        for i in 0..<matrix.solutionCount {
            let key = Array(matrix.passes[(i * m)..<((i + 1) * m)])
            keys.append(key)
            groups[key, default: 0] += matrix.solutionCounts[i]
        }
        let codes = keys.map { key in Double(key.filter { $0 }.count) * Double(groups[key]!).squareRoot() }
        let tests = (0..<m).map { j in Double((0..<matrix.solutionCount).reduce(0) { $0 + (matrix.passed($1, j) ? matrix.solutionCounts[$1] : 0) }) }
        return ScoreResult(solutionScores: [c0, codes], testScores: [t0, tests], scaleLog10: [0, 0])
    }
}

/// The paper's "sort by pass count" baseline: tests passed.
public struct PassCount: ScoringStrategy {
    public init() {}
    public var name: String { "pass-count" }
    public var parameters: JSON { .object([]) }

    public func score(_ matrix: PassMatrix) -> ScoreResult {
        let (c0, t0) = initial(matrix)
        let codes = (0..<matrix.solutionCount).map { Double(matrix.passCount($0)) }
        let tests = (0..<matrix.testCount).map { j in Double((0..<matrix.solutionCount).filter { matrix.passed($0, j) }.count) }
        return ScoreResult(solutionScores: [c0, codes], testScores: [t0, tests], scaleLog10: [0, 0])
    }
}

/// The paper's "all tests" filter: 1 when a solution passes every generated test, else 0.
public struct AllTests: ScoringStrategy {
    public init() {}
    public var name: String { "all-tests" }
    public var parameters: JSON { .object([]) }

    public func score(_ matrix: PassMatrix) -> ScoreResult {
        let (c0, t0) = initial(matrix)
        let codes = (0..<matrix.solutionCount).map { matrix.testCount > 0 && matrix.passCount($0) == matrix.testCount ? 1.0 : 0.0 }
        let tests = (0..<matrix.testCount).map { j in Double((0..<matrix.solutionCount).filter { matrix.passed($0, j) }.count) }
        return ScoreResult(solutionScores: [c0, codes], testScores: [t0, tests], scaleLog10: [0, 0])
    }
}

/// Uniform random scores, reproducible: a solution's score depends only on the seed and
/// its id, not on the order or the rest of the matrix.
public struct RandomScores: ScoringStrategy {
    public var seed: UInt64
    public init(seed: UInt64 = 0) { self.seed = seed }
    public var name: String { "random" }
    public var parameters: JSON { .object([("seed", .int(Int64(bitPattern: seed)))]) }

    static func unit(_ seed: UInt64, _ id: Int64) -> Double {
        // SplitMix64 of (seed, id): a well-mixed 64-bit value, then its top 53 bits in [0, 1).
        var z = seed &+ UInt64(bitPattern: id) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z = z ^ (z >> 31)
        return Double(z >> 11) / Double(1 << 53)
    }

    public func score(_ matrix: PassMatrix) -> ScoreResult {
        let (c0, t0) = initial(matrix)
        let codes = matrix.solutions.map { Self.unit(seed, $0) }
        let tests = matrix.tests.map { Self.unit(seed ^ 0xA5A5_A5A5, $0) }
        return ScoreResult(solutionScores: [c0, codes], testScores: [t0, tests], scaleLog10: [0, 0])
    }
}
