/// A Fisher-Yates shuffle driven by SplitMix64: the same seed gives the same order on every
/// machine and Swift version (the standard library's shuffle promises neither).
func seededShuffle<T>(_ items: [T], seed: UInt64) -> [T] {
    var state = seed &+ 0x9E37_79B9_7F4A_7C15
    func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    var result = items
    if result.count > 1 {
        for i in stride(from: result.count - 1, to: 0, by: -1) {
            result.swapAt(i, Int(next() % UInt64(i + 1)))
        }
    }
    return result
}
