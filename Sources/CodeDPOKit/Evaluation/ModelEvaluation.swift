import Foundation

/// One model's samples on one problem, and how many of them pass each test set. Pure data,
/// so pass@k and the comparisons are computed and tested apart from the database.
public struct ModelProblemOutcome: Sendable, Equatable {
    public var model: String
    public var problem: String
    public var benchmark: String
    /// Samples (a solution sampled 3 times counts 3).
    public var samples: Int
    /// Samples passing every base test, and every test (base and plus).
    public var correctBase: Int
    public var correctPlus: Int
    /// The problem has plus tests.
    public var hasPlus: Bool
    /// CPU seconds of the model's fastest-median correct solution over all the problem's
    /// ground-truth tests (nil when none is correct or times are missing).
    public var cpuSeconds: Double?

    public init(model: String, problem: String, benchmark: String, samples: Int, correctBase: Int, correctPlus: Int,
                hasPlus: Bool, cpuSeconds: Double? = nil) {
        self.model = model
        self.problem = problem
        self.benchmark = benchmark
        self.samples = samples
        self.correctBase = correctBase
        self.correctPlus = correctPlus
        self.hasPlus = hasPlus
        self.cpuSeconds = cpuSeconds
    }

    /// The benchmark of an external id: everything before its last "/" (HumanEval/3 -> HumanEval).
    public static func benchmark(of externalID: String) -> String {
        guard let slash = externalID.lastIndex(of: "/") else { return externalID }
        return String(externalID[..<slash])
    }
}

public enum TestSet: String, Sendable, CaseIterable {
    /// The benchmark's own tests (HumanEval's check, evalplus base_input).
    case base
    /// Base and plus tests together, as evalplus scores HumanEval+ and MBPP+.
    case plus
}

/// pass@k of models per benchmark and test set, the paired difference of two models, and
/// (efficiency) the speedup of one model's correct solutions over another's: pure.
public struct ModelEvaluationReport: Sendable {
    public struct Score: Sendable, Equatable {
        public var model: String
        public var benchmark: String
        public var testSet: TestSet
        public var problems: Int
        public var samples: Int
        public var passAtK: [(k: Int, value: Double)]

        public static func == (a: Score, b: Score) -> Bool {
            a.model == b.model && a.benchmark == b.benchmark && a.testSet == b.testSet && a.problems == b.problems
                && a.samples == b.samples && a.passAtK.map(\.k) == b.passAtK.map(\.k) && a.passAtK.map(\.value) == b.passAtK.map(\.value)
        }
    }

    public struct Difference: Sendable {
        public var benchmark: String
        public var testSet: TestSet
        public var k: Int
        public var a: String
        public var b: String
        public var difference: PairedDifference
    }

    public struct Efficiency: Sendable {
        public var benchmark: String
        public var a: String
        public var b: String
        /// Problems both models solve (with times).
        public var problems: Int
        /// Geometric mean of time(b) / time(a): above 1, a's code is faster.
        public var speedup: Double
        /// Share of those problems where a's code is at least 10% faster, and where b's is.
        public var aFaster: Double
        public var bFaster: Double
    }

    public var scores: [Score] = []
    public var differences: [Difference] = []
    public var efficiency: [Efficiency] = []

    /// Errors (k larger than a model's samples) are thrown before anything is computed.
    public static func compute(_ outcomes: [ModelProblemOutcome], ks: [Int], efficiency: Bool) throws -> ModelEvaluationReport {
        for k in ks {
            if let short = outcomes.first(where: { $0.samples < k }) {
                let count = outcomes.filter { $0.samples < k && $0.model == short.model }.count
                throw StoreError("""
                    pass@\(k) needs at least \(k) samples per problem, but model "\(short.model)" has \(short.samples) for \(short.problem) \
                    (\(count) problem(s) have fewer than \(k)). Lower --k, or sample more (--samples N with --endpoint). Nothing was stored.
                    """)
            }
        }
        var report = ModelEvaluationReport()
        let models = Array(Set(outcomes.map(\.model))).sorted()
        let benchmarks = Array(Set(outcomes.map(\.benchmark))).sorted()
        func rows(_ model: String, _ benchmark: String) -> [ModelProblemOutcome] {
            outcomes.filter { $0.model == model && $0.benchmark == benchmark }.sorted { $0.problem < $1.problem }
        }
        func correct(_ outcome: ModelProblemOutcome, _ set: TestSet) -> Int { set == .base ? outcome.correctBase : outcome.correctPlus }
        for benchmark in benchmarks {
            let sets: [TestSet] = outcomes.contains { $0.benchmark == benchmark && $0.hasPlus } ? [.base, .plus] : [.base]
            for set in sets {
                for model in models {
                    let list = rows(model, benchmark)
                    guard !list.isEmpty else { continue }
                    let values = ks.map { k in (k, PassAtK.mean(list.map { ($0.samples, correct($0, set)) }, k: k)!) }
                    report.scores.append(Score(model: model, benchmark: benchmark, testSet: set, problems: list.count,
                                               samples: list.reduce(0) { $0 + $1.samples }, passAtK: values))
                }
                // Every pair of models, on the problems both have samples for.
                for (i, a) in models.enumerated() {
                    for b in models[(i + 1)...] {
                        let left = Dictionary(uniqueKeysWithValues: rows(a, benchmark).map { ($0.problem, $0) })
                        let shared = rows(b, benchmark).filter { left[$0.problem] != nil }
                        guard !shared.isEmpty else { continue }
                        for k in ks {
                            let x = shared.map { PassAtK.estimate(samples: left[$0.problem]!.samples, correct: correct(left[$0.problem]!, set), k: k)! }
                            let y = shared.map { PassAtK.estimate(samples: $0.samples, correct: correct($0, set), k: k)! }
                            if let difference = PairedDifference.of(x, y) {
                                report.differences.append(Difference(benchmark: benchmark, testSet: set, k: k, a: a, b: b, difference: difference))
                            }
                        }
                    }
                }
            }
            guard efficiency else { continue }
            for (i, a) in models.enumerated() {
                for b in models[(i + 1)...] {
                    let left = Dictionary(uniqueKeysWithValues: rows(a, benchmark).compactMap { o in o.cpuSeconds.map { (o.problem, $0) } })
                    let ratios = rows(b, benchmark).compactMap { o -> Double? in
                        guard let tb = o.cpuSeconds, let ta = left[o.problem], ta > 0, tb > 0 else { return nil }
                        return tb / ta
                    }
                    guard !ratios.isEmpty else { continue }
                    let n = Double(ratios.count)
                    report.efficiency.append(Efficiency(
                        benchmark: benchmark, a: a, b: b, problems: ratios.count,
                        speedup: exp(ratios.reduce(0) { $0 + log($1) } / n),
                        aFaster: Double(ratios.filter { $0 >= 1.1 }.count) / n,
                        bFaster: Double(ratios.filter { $0 <= 1 / 1.1 }.count) / n))
                }
            }
        }
        return report
    }

    public var json: JSON {
        .object([
            ("scores", .array(scores.map { score in
                .object([("model", .string(score.model)), ("benchmark", .string(score.benchmark)), ("test_set", .string(score.testSet.rawValue)),
                         ("problems", .int(Int64(score.problems))), ("samples", .int(Int64(score.samples))),
                         ("pass_at_k", .object(score.passAtK.map { ("\($0.k)", .double($0.value)) }))])
            })),
            ("differences", .array(differences.map { d in
                .object([("benchmark", .string(d.benchmark)), ("test_set", .string(d.testSet.rawValue)), ("k", .int(Int64(d.k))),
                         ("a", .string(d.a)), ("b", .string(d.b)), ("problems", .int(Int64(d.difference.problems))),
                         ("mean_difference", .double(d.difference.mean)), ("standard_error", .double(d.difference.standardError)),
                         ("ci95", .array([.double(d.difference.low), .double(d.difference.high)]))])
            })),
            ("efficiency", .array(efficiency.map { e in
                .object([("benchmark", .string(e.benchmark)), ("a", .string(e.a)), ("b", .string(e.b)), ("problems", .int(Int64(e.problems))),
                         ("speedup_of_a", .double(e.speedup)), ("a_at_least_10pct_faster", .double(e.aFaster)),
                         ("b_at_least_10pct_faster", .double(e.bFaster)), ("measure", "cpu_seconds")])
            })),
        ])
    }
}
