/// Soft dual agreement, codedpo's own strategy (see README, "Beyond the paper").
///
/// CodeT groups solutions whose pass sets are exactly equal, so two solutions that agree on
/// every test but one (one wrong or flaky test) land in different groups and neither gets
/// the other's support: the consensus of a large correct cluster is split into many tiny
/// groups. Self-validation, on the other hand, only ever adds for passes, so a lone solution
/// that also passes wrong tests outranks the large cluster that fails them.
///
/// Here every solution is supported by every sampled solution in proportion to how similar
/// their pass sets are: support(i) = sum_k count(k) * Jaccard(P_i, P_k)^gamma, and
/// score(i) = |P_i| * sqrt(support(i)). gamma -> infinity is CodeT exactly (only identical
/// sets count); gamma = 0 is the pass count. A test scores the support of the solutions
/// that pass it.
public struct Consensus: ScoringStrategy {
    public var gamma: Double
    public var multiplicity: Bool

    public init(gamma: Double = 4, multiplicity: Bool = true) {
        self.gamma = gamma
        self.multiplicity = multiplicity
    }

    public var name: String { "consensus" }
    public var parameters: JSON { .object([("gamma", .double(gamma)), ("multiplicity", .bool(multiplicity))]) }

    public func score(_ matrix: PassMatrix) -> ScoreResult {
        let (c0, t0) = initial(matrix)
        let n = matrix.solutionCount, m = matrix.testCount
        let words = (m + 63) / 64
        // Pass sets as bit sets: intersections are popcounts.
        var bits = [UInt64](repeating: 0, count: n * words)
        var sizes = [Int](repeating: 0, count: n)
        for i in 0..<n {
            for j in 0..<m where matrix.passed(i, j) {
                bits[i * words + j / 64] |= 1 << UInt64(j % 64)
                sizes[i] += 1
            }
        }
        let weight = matrix.solutionCounts.map { multiplicity ? Double($0) : 1 }
        var support = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var total = 0.0
            for k in 0..<n {
                var intersection = 0
                for w in 0..<words { intersection += (bits[i * words + w] & bits[k * words + w]).nonzeroBitCount }
                let union = sizes[i] + sizes[k] - intersection
                let similarity = union == 0 ? 1.0 : Double(intersection) / Double(union)
                total += weight[k] * (gamma == 0 ? 1 : pow(similarity, gamma))
            }
            support[i] = total
        }
        let codes = (0..<n).map { Double(sizes[$0]) * support[$0].squareRoot() }
        let tests = (0..<m).map { j in (0..<n).reduce(0.0) { $0 + (matrix.passed($1, j) ? weight[$1] * support[$1].squareRoot() : 0) } }
        return ScoreResult(solutionScores: [c0, codes], testScores: [t0, tests], scaleLog10: [0, 0])
    }
}

import Foundation
