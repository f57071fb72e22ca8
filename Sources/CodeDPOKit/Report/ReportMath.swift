import Foundation

/// The report's computations, pure: each takes one problem's numbers (or the totals so far)
/// and returns values; loading (`ReportLoader`) feeds them a problem at a time, so memory
/// holds one problem plus running totals, whatever the size of the database.
enum ReportMath {
    /// Divides each value by the largest of its group (a problem): 1 is the group's best.
    /// A group whose largest value is not positive is shifted to start at 0 and divided by
    /// its range (all 0 when every value ties).
    static func normalize(_ values: [Double]) -> [Double] {
        guard let top = values.max(), let bottom = values.min() else { return [] }
        if top > 0 && bottom >= 0 { return values.map { $0 / top } }
        let range = top - bottom
        return values.map { range > 0 ? ($0 - bottom) / range : 0 }
    }

    /// Problems that stopped early are padded by the scorer; any hole (NaN) takes the value
    /// before it (the first known value when the hole is at the start).
    static func fillHoles(_ values: [Double]) -> [Double] {
        var out = values, last = values.first { !$0.isNaN } ?? 0
        for k in out.indices { if out[k].isNaN { out[k] = last } else { last = out[k] } }
        return out
    }

    /// Per entity, its normalized value at every iteration: each iteration normalized over
    /// the problem's entities. `histories[i][k]` is entity i at iteration k.
    static func normalizedHistories(_ histories: [[Double]], iterations: Int) -> [[Double]] {
        var out = histories.map { _ in [Double](repeating: 0, count: iterations) }
        for k in 0..<iterations {
            let normalized = normalize(histories.map { $0[k] })
            for i in histories.indices { out[i][k] = normalized[i] }
        }
        return out
    }

    /// Correct by the ground truth, per solution, when every solution has every ground-truth
    /// verdict (nil otherwise, or when the problem has no ground truth): correct = passes all.
    static func correctness(groundTruthTests total: Int, judged: [Int], passed: [Int]) -> [Bool]? {
        guard total > 0, judged.allSatisfy({ $0 == total }) else { return nil }
        return passed.map { $0 == total }
    }

    /// Judged by the ground truth: false = no correct solution passes the test, true = every
    /// correct solution does, nil = mixed, or no correct solution is known.
    static func rightness(correctPassing: Int, correctSolutions: Int) -> Bool? {
        guard correctSolutions > 0 else { return nil }
        if correctPassing == 0 { return false }
        if correctPassing == correctSolutions { return true }
        return nil
    }

    /// Tests that make a problem worth showing: passed by someone, and distrusted by the
    /// scores (normalized below 0.5) or wrong by the ground truth.
    static func flaggedTests(passedBy: [Int], normalized: [Double], right: [Bool?]) -> Int {
        zip(passedBy, zip(normalized, right)).filter { $0.0 > 0 && ($0.1.0 < 0.5 || $0.1.1 == false) }.count
    }

    /// Why a problem's pass matrix is shown, and in which order: problems with pairs first,
    /// then with a flagged test, then by the spread of their normalized scores.
    struct MatrixCandidate: Equatable {
        var problem: Int64
        var pairs: Int
        var flagged: Int
        var spread: Double

        static func ordered(_ candidates: [MatrixCandidate]) -> [MatrixCandidate] {
            candidates.sorted { a, b in
                let ka = (a.pairs > 0 ? 1 : 0, a.flagged > 0 ? 1 : 0, a.spread), kb = (b.pairs > 0 ? 1 : 0, b.flagged > 0 ? 1 : 0, b.spread)
                if ka != kb { return ka > kb }
                return a.problem < b.problem
            }
        }

        var why: String {
            var parts: [String] = []
            if pairs > 0 { parts.append("\(pairs) correctness pair\(pairs == 1 ? "" : "s")") }
            if flagged > 0 { parts.append("\(flagged) distrusted test\(flagged == 1 ? "" : "s")") }
            parts.append("score spread \(String(format: "%.2f", spread))")
            return parts.joined(separator: ", ")
        }
    }

    /// A test whose trajectory may be drawn.
    struct TrajectoryCandidate: Equatable {
        var test: Int64
        var problem: Int64
        var passedBy: Int
        var values: [Double]
        var right: Bool?

        var final: Double { values.last ?? 0 }
    }

    /// Running sums of how an iterative score run settled, one problem at a time.
    struct ConvergenceTotals {
        let iterations: Int
        let trajectoryLimit: Int
        var solutionChange: [Double]
        var testChange: [Double]
        var solutions = 0
        var tests = 0
        var topChanged: [Int]
        var problems = 0
        var wrongSum: [Double]
        var rightSum: [Double]
        var wrong = 0
        var right = 0
        /// Candidates kept so far, each list sorted and cut to what could still be chosen.
        var wrongCandidates: [TrajectoryCandidate] = []
        var distrustedCandidates: [TrajectoryCandidate] = []

        init(iterations: Int, trajectoryLimit: Int) {
            self.iterations = iterations
            self.trajectoryLimit = trajectoryLimit
            solutionChange = Array(repeating: 0, count: iterations)
            testChange = Array(repeating: 0, count: iterations)
            topChanged = Array(repeating: 0, count: iterations)
            wrongSum = Array(repeating: 0, count: iterations)
            rightSum = Array(repeating: 0, count: iterations)
        }

        /// Adds one problem: its solutions' and tests' raw histories (for the top set), their
        /// normalized histories, and per test how many solutions pass it and its rightness.
        mutating func add(problem: Int64, solutionValues: [[Double]], solutionNorm: [[Double]], testIDs: [Int64], testNorm: [[Double]],
                          passedBy: [Int], right: [Bool?]) {
            guard !solutionValues.isEmpty else { return }
            problems += 1
            solutions += solutionNorm.count
            tests += testNorm.count
            for k in 1..<max(iterations, 1) {
                for history in solutionNorm { solutionChange[k] += abs(history[k] - history[k - 1]) }
                for history in testNorm { testChange[k] += abs(history[k] - history[k - 1]) }
                func top(_ k: Int) -> Set<Int> {
                    let best = solutionValues.map { $0[k] }.max()!
                    return Set(solutionValues.indices.filter { solutionValues[$0][k] == best })
                }
                if top(k) != top(k - 1) { topChanged[k] += 1 }
            }
            var wrongHere: [TrajectoryCandidate] = [], distrustedHere: [TrajectoryCandidate] = []
            for (j, history) in testNorm.enumerated() where passedBy[j] > 0 {
                let candidate = TrajectoryCandidate(test: testIDs[j], problem: problem, passedBy: passedBy[j], values: history, right: right[j])
                if let verdict = right[j] {
                    for k in 0..<iterations { if verdict { rightSum[k] += history[k] } else { wrongSum[k] += history[k] } }
                    if verdict { self.right += 1 } else { wrong += 1 }
                }
                if right[j] == false { wrongHere.append(candidate) } else if history.last ?? 1 < 1 { distrustedHere.append(candidate) }
            }
            // At most two a problem are drawn, so no problem needs more than two of each kind.
            wrongCandidates = Self.cut(wrongCandidates + Self.sortedWrong(wrongHere).prefix(2), sort: Self.sortedWrong, keep: trajectoryLimit * 3)
            distrustedCandidates = Self.cut(distrustedCandidates + Self.sortedDistrusted(distrustedHere).prefix(2), sort: Self.sortedDistrusted,
                                            keep: trajectoryLimit * 3)
        }

        /// The wrong tests most solutions pass first: the hard cases a pass count would trust.
        static func sortedWrong(_ list: [TrajectoryCandidate]) -> [TrajectoryCandidate] {
            list.sorted { a, b in a.passedBy != b.passedBy ? a.passedBy > b.passedBy : (a.final, a.test) < (b.final, b.test) }
        }

        /// The passed tests the final scores distrust most first.
        static func sortedDistrusted(_ list: [TrajectoryCandidate]) -> [TrajectoryCandidate] {
            list.sorted { ($0.final, $0.test) < ($1.final, $1.test) }
        }

        static func cut(_ list: [TrajectoryCandidate], sort: ([TrajectoryCandidate]) -> [TrajectoryCandidate], keep: Int) -> [TrajectoryCandidate] {
            list.count <= keep * 2 ? list : Array(sort(list).prefix(keep))
        }

        /// The tests to draw: wrong ones first, then distrusted ones, at most two a problem.
        func trajectories() -> [TrajectoryCandidate] {
            var perProblem: [Int64: Int] = [:]
            var chosen: [TrajectoryCandidate] = []
            for candidate in Self.sortedWrong(wrongCandidates) + Self.sortedDistrusted(distrustedCandidates) where chosen.count < trajectoryLimit {
                guard perProblem[candidate.problem, default: 0] < 2 else { continue }
                perProblem[candidate.problem, default: 0] += 1
                chosen.append(candidate)
            }
            return chosen
        }

        /// Means per iteration (index 0 is 0 for the changes).
        func meanSolutionChange() -> [Double] { solutionChange.map { solutions > 0 ? $0 / Double(solutions) : 0 } }
        func meanTestChange() -> [Double] { testChange.map { tests > 0 ? $0 / Double(tests) : 0 } }
        func topChangedShare() -> [Double] { topChanged.map { problems > 0 ? Double($0) / Double(problems) : 0 } }
        func wrongMean() -> [Double]? { wrong > 0 ? wrongSum.map { $0 / Double(wrong) } : nil }
        func rightMean() -> [Double]? { right > 0 ? rightSum.map { $0 / Double(right) } : nil }
    }
}
