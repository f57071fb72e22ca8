/// How a training item matched a benchmark item.
public enum MatchKind: String, Sendable, CaseIterable {
    /// A benchmark docstring or solution (normalized) occurs inside the item.
    case substring
    /// The item and the benchmark item share a run of n words.
    case ngram
}

/// One match of a text against one benchmark item: the first in the text of its kind.
public struct TextMatch: Sendable, Equatable, Hashable {
    public var benchmarkItem: Int
    public var kind: MatchKind
    public var text: String
}

public struct MatchParameters: Sendable {
    /// Words in an n-gram (open-r1 uses 8, OpenCoder 10).
    public var ngram = 10
    /// A docstring or solution shorter than this (normalized bytes) is not matched as a substring.
    public var minSubstringBytes = 50
    public var whitelist = Whitelist()

    public init() {}
}

/// The benchmarks, indexed once per run, pure: substring candidates found through a hash of
/// three inner words (so only candidates sharing them are searched for), and every word
/// n-gram of every benchmark item in one hash table. Checking a text costs one pass over
/// its words, whatever the number of benchmark items.
public struct BenchmarkIndex: Sendable {
    struct SubstringCandidate: Sendable {
        let item: Int
        let bytes: [UInt8]
        let text: String
    }

    public let parameters: MatchParameters
    let candidates: [SubstringCandidate]
    /// Hash of words 1, 2, 3 of a candidate -> candidates. Inner words of an occurrence are
    /// whole words of the text too (the first and last may be cut), so an occurrence always
    /// shows up here.
    let anchors: [UInt64: [Int32]]
    /// Candidates with too few words for an anchor: searched in every text.
    let unanchored: [Int]
    /// n-gram hash -> (benchmark items, the n-gram's text to rule out hash collisions).
    let ngrams: [UInt64: (items: [Int32], text: String)]
    static let anchorWords = 3

    public init(items: [BenchmarkItem], parameters: MatchParameters) {
        self.parameters = parameters
        var candidates: [SubstringCandidate] = []
        var ngrams: [UInt64: (items: [Int32], text: String)] = [:]
        for (index, item) in items.enumerated() {
            for source in [item.docstring ?? item.prompt, item.solution ?? ""] where !source.isEmpty {
                let text = MatchText(source, whitelist: parameters.whitelist)
                if text.bytes.count >= parameters.minSubstringBytes {
                    candidates.append(SubstringCandidate(item: index, bytes: text.bytes, text: text.string))
                }
                for (first, hash) in text.windowHashes(parameters.ngram).enumerated() where !text.isNumeric(first, count: parameters.ngram) {
                    if let existing = ngrams[hash] {
                        if existing.items.last != Int32(index) { ngrams[hash]!.items.append(Int32(index)) }
                    } else {
                        ngrams[hash] = ([Int32(index)], text.wordText(first, count: parameters.ngram))
                    }
                }
            }
        }
        var anchors: [UInt64: [Int32]] = [:]
        var unanchored: [Int] = []
        for (index, candidate) in candidates.enumerated() {
            let text = MatchText(candidate.text, whitelist: Whitelist(lines: []))
            if text.words.count >= Self.anchorWords + 2 {
                let hash = MatchText.rolling((1...Self.anchorWords).map(text.wordHash), Self.anchorWords)[0]
                anchors[hash, default: []].append(Int32(index))
            } else {
                unanchored.append(index)
            }
        }
        self.candidates = candidates
        self.anchors = anchors
        self.unanchored = unanchored
        self.ngrams = ngrams
    }

    public var substringCandidates: Int { candidates.count }
    public var distinctNgrams: Int { ngrams.count }

    /// Every benchmark item the text matches, once per kind, with the first matched text.
    public func matches(_ text: MatchText) -> [TextMatch] {
        var found: [TextMatch] = []
        // Substrings: candidates whose anchor occurs among the text's 3-word windows.
        var hits = Set<Int>(unanchored.filter { text.contains(candidates[$0].bytes) })
        if !anchors.isEmpty {
            let wordHashes = text.words.indices.map(text.wordHash)
            if wordHashes.count >= Self.anchorWords {
                for hash in MatchText.rolling(wordHashes, Self.anchorWords) {
                    guard let list = anchors[hash] else { continue }
                    for candidate in list where !hits.contains(Int(candidate)) {
                        if text.contains(candidates[Int(candidate)].bytes) { hits.insert(Int(candidate)) }
                    }
                }
            }
        }
        var itemsWithSubstring = Set<Int>()
        for candidate in hits.sorted() where itemsWithSubstring.insert(candidates[candidate].item).inserted {
            found.append(TextMatch(benchmarkItem: candidates[candidate].item, kind: .substring, text: candidates[candidate].text))
        }
        // n-grams: the first shared window per benchmark item.
        var itemsWithNgram = Set<Int>()
        for (first, hash) in text.windowHashes(parameters.ngram).enumerated() {
            guard let entry = ngrams[hash], !text.isNumeric(first, count: parameters.ngram) else { continue }
            let words = text.wordText(first, count: parameters.ngram)
            guard words == entry.text else { continue }
            for item in entry.items where itemsWithNgram.insert(Int(item)).inserted {
                found.append(TextMatch(benchmarkItem: Int(item), kind: .ngram, text: words))
            }
        }
        return found
    }
}

/// The baseline a script would write: every benchmark string searched for in every text, and
/// every benchmark item's n-gram set probed with every n-gram of the text. Same answers as
/// BenchmarkIndex (a test checks it), kept to measure the index against.
public struct NaiveMatcher: Sendable {
    let index: BenchmarkIndex
    let itemNgrams: [Set<String>]

    public init(items: [BenchmarkItem], index: BenchmarkIndex) {
        self.index = index
        var sets = [Set<String>](repeating: [], count: items.count)
        for (number, item) in items.enumerated() {
            for source in [item.docstring ?? item.prompt, item.solution ?? ""] where !source.isEmpty {
                let text = MatchText(source, whitelist: index.parameters.whitelist)
                let n = index.parameters.ngram
                guard text.words.count >= n else { continue }
                for first in 0...(text.words.count - n) where !text.isNumeric(first, count: n) { sets[number].insert(text.wordText(first, count: n)) }
            }
        }
        itemNgrams = sets
    }

    public func matches(_ text: MatchText) -> [TextMatch] {
        var found: [TextMatch] = []
        var itemsWithSubstring = Set<Int>()
        for candidate in index.candidates where !itemsWithSubstring.contains(candidate.item) {
            if text.contains(candidate.bytes) {
                itemsWithSubstring.insert(candidate.item)
                found.append(TextMatch(benchmarkItem: candidate.item, kind: .substring, text: candidate.text))
            }
        }
        let n = index.parameters.ngram
        let windows = text.words.count >= n ? (0...(text.words.count - n)).map { text.isNumeric($0, count: n) ? "" : text.wordText($0, count: n) } : []
        var ngramMatches: [(Int, Int, String)] = []
        for (item, set) in itemNgrams.enumerated() {
            if let first = windows.firstIndex(where: set.contains) { ngramMatches.append((first, item, windows[first])) }
        }
        for (_, item, words) in ngramMatches.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
            found.append(TextMatch(benchmarkItem: item, kind: .ngram, text: words))
        }
        return found
    }
}
