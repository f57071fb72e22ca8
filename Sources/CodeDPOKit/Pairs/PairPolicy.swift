/// How a pair set is built from a score run (and an efficiency run): stored as JSON with
/// the pair set, so every pair can be traced to the rule that made it.
public struct PairPolicy: Sendable, Equatable {
    /// Correctness pairs: the chosen's score minus the rejected's, over the problem's score
    /// range (so 1 is top vs bottom of a spread-out problem), must be at least this.
    public var minMargin = 0.0
    /// Top-k against bottom-k per problem (the i-th best with the i-th worst, no reuse).
    public var pairsPerProblem = 1
    /// The chosen must pass at least one generated test.
    public var chosenMustPass = true
    /// Efficiency pairs: the slower one's median over the faster one's must be at least this
    /// (the paper counts 10% faster as optimized).
    public var minSpeedup = 1.1
    /// ... and the difference of medians must exceed this many times the summed spreads (the
    /// evidence rule: a gap the measured spread cannot explain).
    public var noiseFactor = 1.0
    public var correctness = true
    public var efficiency = true
    /// Keep problems that the latest `codedpo decontaminate` found in a benchmark.
    public var allowContaminated = false

    public init() {}

    public var json: JSON {
        .object([
            ("correctness", .bool(correctness)), ("min_margin", .double(minMargin)),
            ("pairs_per_problem", .int(Int64(pairsPerProblem))), ("chosen_must_pass", .bool(chosenMustPass)),
            ("efficiency", .bool(efficiency)), ("min_speedup", .double(minSpeedup)), ("noise_factor", .double(noiseFactor)),
            ("allow_contaminated", .bool(allowContaminated)),
        ])
    }
}

/// A candidate in one problem, as the pair rules see it.
public struct Candidate: Sendable, Equatable {
    public var solutionID: Int64
    public var score: Double
    /// Generated tests it passes.
    public var passes: Int
    /// Code with comments, blank lines and spacing removed: two candidates with the same key
    /// are the same program written differently, never a pair. A candidate made from its code
    /// normalizes it only when asked: the rules compare the keys of a few candidates per
    /// problem, and normalizing every candidate's code was most of `codedpo pairs`' own time.
    public var key: String {
        get { storedKey ?? PairRules.key(code) }
        set { storedKey = newValue }
    }
    private var storedKey: String?
    private var code = ""

    public init(solutionID: Int64, score: Double, passes: Int, key: String) {
        self.solutionID = solutionID
        self.score = score
        self.passes = passes
        self.storedKey = key
    }

    public init(solutionID: Int64, score: Double, passes: Int, code: String) {
        self.solutionID = solutionID
        self.score = score
        self.passes = passes
        self.code = code
    }
}

public struct ProposedPair: Sendable, Equatable {
    public var chosen: Int64
    public var rejected: Int64
    public var chosenScore: Double
    public var rejectedScore: Double
    public var margin: Double
}

/// Why a problem gave no pair, counted in the pair set's summary.
public enum NoPairReason: String, Sendable, CaseIterable {
    case allTied = "all_scores_tied"
    case tooFewSolutions = "fewer_than_two_solutions"
    case chosenPassesNothing = "chosen_passes_no_test"
    case marginTooSmall = "margin_below_minimum"
    case identicalCode = "identical_code"
    case noTimedSolutions = "fewer_than_two_timed_solutions"
    case speedupTooSmall = "speedup_below_minimum"
    case withinNoise = "difference_within_noise"
}

/// The pair rules, pure: candidates in, pairs (or the reason for none) out.
public enum PairRules {
    /// Candidates best first (ties: lower id first), as the correctness rules take them.
    static func ranked(_ candidates: [Candidate]) -> [Candidate] {
        candidates.sorted { ($0.score, -$0.solutionID) > ($1.score, -$1.solutionID) }
    }

    /// The candidates whose `passes` the correctness rules read: the chosen side of each pair
    /// they may make. The others' `passes` change nothing, so a caller may look up only these
    /// (`codedpo pairs` probes a few solutions per problem instead of every one).
    public static func chosenSide(_ candidates: [Candidate], policy: PairPolicy) -> [Int64] {
        guard policy.chosenMustPass, candidates.count >= 2 else { return [] }
        return ranked(candidates).prefix(min(policy.pairsPerProblem, candidates.count / 2)).map(\.solutionID)
    }

    public static func correctness(_ candidates: [Candidate], policy: PairPolicy) -> ([ProposedPair], [NoPairReason]) {
        guard candidates.count >= 2 else { return ([], [.tooFewSolutions]) }
        let ordered = ranked(candidates)
        let best = ordered.first!.score, worst = ordered.last!.score
        guard best > worst else { return ([], [.allTied]) }
        var pairs: [ProposedPair] = []
        var reasons: [NoPairReason] = []
        let k = min(policy.pairsPerProblem, ordered.count / 2)
        for i in 0..<k {
            let chosen = ordered[i], rejected = ordered[ordered.count - 1 - i]
            let margin = (chosen.score - rejected.score) / (best - worst)
            if chosen.score <= rejected.score { reasons.append(.allTied); continue }
            if policy.chosenMustPass && chosen.passes == 0 { reasons.append(.chosenPassesNothing); continue }
            if margin < policy.minMargin { reasons.append(.marginTooSmall); continue }
            if chosen.key == rejected.key { reasons.append(.identicalCode); continue }
            pairs.append(ProposedPair(chosen: chosen.solutionID, rejected: rejected.solutionID,
                                      chosenScore: chosen.score, rejectedScore: rejected.score, margin: margin))
        }
        return (pairs, pairs.isEmpty && reasons.isEmpty ? [.allTied] : reasons)
    }

    /// A timed candidate: median and spread of its measurements (lower is faster).
    public struct Timed: Sendable, Equatable {
        public var solutionID: Int64
        public var median: Double
        public var spread: Double
        public var key: String

        public init(solutionID: Int64, median: Double, spread: Double, key: String) {
            self.solutionID = solutionID
            self.median = median
            self.spread = spread
            self.key = key
        }
    }

    /// Pairs by evidence: per slot (k slots, no solution reused), the pair with the largest
    /// speedup among those the measurements can order: the slow one takes at least minSpeedup
    /// times as long, and the gap of the medians exceeds noiseFactor x (the two spreads
    /// summed), i.e. more than the measured spread can explain. A solution is never dropped
    /// for its own noise alone: a noisy solution still pairs with one far enough from it, so a
    /// solution 2x slower than another is not lost to a disturbed repetition.
    /// Speedups this close (relative) to the largest count as equal when choosing a pair.
    public static let speedupTolerance = 0.02

    public static func efficiency(_ timed: [Timed], policy: PairPolicy) -> ([ProposedPair], [NoPairReason]) {
        guard timed.count >= 2 else { return ([], [.noTimedSolutions]) }
        var remaining = timed.sorted { ($0.median, $0.solutionID) < ($1.median, $1.solutionID) }
        var pairs: [ProposedPair] = []
        var reasons: [NoPairReason] = []
        for _ in 0..<max(1, policy.pairsPerProblem) where remaining.count >= 2 {
            var candidates: [(fast: Int, slow: Int, speedup: Double)] = []
            var withinNoise = false, identical = false
            for i in remaining.indices {
                for j in remaining.indices where j > i {
                    let fast = remaining[i], slow = remaining[j]
                    let speedup = fast.median > 0 ? slow.median / fast.median : .infinity
                    // Sorted by median: the largest speedup of a fast one is with the slowest.
                    if speedup < policy.minSpeedup { continue }
                    if slow.median - fast.median <= policy.noiseFactor * (fast.spread + slow.spread) { withinNoise = true; continue }
                    if fast.key == slow.key { identical = true; continue }
                    candidates.append((i, j, speedup))
                }
            }
            // Near-ties are ties: among pairs within speedupTolerance of the largest speedup, the
            // one with the lowest solution ids, so counts that move by 0.1% between two runs do
            // not swap which of two almost equally slow solutions is rejected.
            let largest = candidates.map(\.speedup).max() ?? 0
            let found = candidates.filter { $0.speedup >= largest / (1 + speedupTolerance) }.min { a, b in
                (remaining[a.fast].solutionID, remaining[a.slow].solutionID) < (remaining[b.fast].solutionID, remaining[b.slow].solutionID)
            }
            guard let found else {
                reasons.append(withinNoise ? .withinNoise : identical ? .identicalCode : .speedupTooSmall)
                break
            }
            let fast = remaining[found.fast], slow = remaining[found.slow]
            pairs.append(ProposedPair(chosen: fast.solutionID, rejected: slow.solutionID,
                                      chosenScore: fast.median, rejectedScore: slow.median, margin: found.speedup))
            remaining.remove(at: found.slow)
            remaining.remove(at: found.fast)
        }
        return (pairs, reasons)
    }

    /// The code with comments, blank lines and all spacing removed (strings are kept whole
    /// only approximately: enough to catch the same program reformatted).
    public static func key(_ code: String) -> String {
        // ASCII without carriage returns (nearly all code): the same key computed on bytes,
        // many times faster than on Characters (pairs reads every candidate's code).
        let bytes = Array(code.utf8)
        guard bytes.contains(where: { $0 >= 0x80 || $0 == 0x0D }) else { return asciiKey(bytes) }
        return characterKey(code)
    }

    static func asciiKey(_ bytes: [UInt8]) -> String {
        let newline: UInt8 = 0x0A, hashSign: UInt8 = 0x23, doubleQuote: UInt8 = 0x22, singleQuote: UInt8 = 0x27
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != newline { end += 1 }
            var stop = end
            if let hash = bytes[start..<end].firstIndex(of: hashSign),
               !bytes[start..<hash].contains(doubleQuote), !bytes[start..<hash].contains(singleQuote) {
                stop = hash
            }
            var wrote = false
            // Character.isWhitespace within ASCII: tab, line feed, vertical tab, form feed, space.
            for byte in bytes[start..<stop] where !(byte == 0x20 || (byte >= 0x09 && byte <= 0x0C)) {
                out.append(byte)
                wrote = true
            }
            if wrote { out.append(newline) }
            start = end + 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func characterKey(_ code: String) -> String {
        var out = ""
        for line in code.split(separator: "\n") {
            var text = Substring(line)
            if let hash = text.firstIndex(of: "#"), !text[..<hash].contains("\""), !text[..<hash].contains("'") {
                text = text[..<hash]
            }
            let squeezed = text.filter { !$0.isWhitespace }
            if !squeezed.isEmpty { out += squeezed + "\n" }
        }
        return out
    }
}
