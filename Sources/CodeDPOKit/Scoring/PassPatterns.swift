/// The distinct rows of a pass matrix: solutions that pass exactly the same tests share a
/// pattern (CodeT's consensus group, MBR-exec's equivalence class, B4's hypothesis).
struct PassPatterns {
    /// pattern[i]: the pattern of solution i.
    let pattern: [Int]
    /// representative[p]: the first solution with pattern p.
    let representative: [Int]
    /// support[p]: samples with pattern p (sample multiplicity counted when asked).
    let support: [Double]
    /// tests[p]: tests that pattern p passes.
    let tests: [Int]

    init(_ matrix: PassMatrix, multiplicity: Bool) {
        let m = matrix.testCount
        var index: [ArraySlice<Bool>: Int] = [:]
        var pattern: [Int] = [], representative: [Int] = [], support: [Double] = [], tests: [Int] = []
        for i in 0..<matrix.solutionCount {
            let row = matrix.passes[(i * m)..<((i + 1) * m)]
            let weight = multiplicity ? Double(matrix.solutionCounts[i]) : 1
            if let p = index[row] {
                pattern.append(p)
                support[p] += weight
            } else {
                index[row] = representative.count
                pattern.append(representative.count)
                representative.append(i)
                support.append(weight)
                tests.append(matrix.passCount(i))
            }
        }
        self.pattern = pattern
        self.representative = representative
        self.support = support
        self.tests = tests
    }

    var count: Int { representative.count }
}
