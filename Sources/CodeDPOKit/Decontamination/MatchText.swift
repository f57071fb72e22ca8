import Foundation

/// The text decontamination matches on, pure: whitelisted (trivial) lines dropped, runs of
/// whitespace folded to one space, and the words (runs of letters, digits, `_` and
/// non-ASCII bytes, lowercased) with their byte ranges.
public struct MatchText: Sendable {
    /// UTF-8 bytes of the normalized text.
    public let bytes: [UInt8]
    /// Byte range of every word, in order.
    public let words: [Range<Int>]

    public init(_ text: String, whitelist: Whitelist) {
        // One pass over the UTF-8 bytes (no Character or Foundation work per line: this runs
        // once for every row checked): lines split at CR/LF, whitelisted lines skipped.
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var source = Array(text.utf8)
        if source.last != 0x0A { source.append(0x0A) }
        var lineStart = 0
        for index in source.indices where source[index] == 0x0A || source[index] == 0x0D {
            defer { lineStart = index + 1 }
            guard index > lineStart, !whitelist.contains(source[lineStart..<index]) else { continue }
            for byte in source[lineStart..<index] {
                if Self.isSpace(byte) {
                    if let last = out.last, last != 0x20 { out.append(0x20) }
                } else {
                    out.append(byte)
                }
            }
            if let last = out.last, last != 0x20 { out.append(0x20) }
        }
        while out.last == 0x20 { out.removeLast() }
        bytes = out
        var words: [Range<Int>] = []
        var start: Int?
        for (index, byte) in out.enumerated() {
            if Self.isWordByte(byte) {
                if start == nil { start = index }
            } else if let begin = start {
                words.append(begin..<index)
                start = nil
            }
        }
        if let begin = start { words.append(begin..<out.count) }
        self.words = words
    }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C }

    static func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte >= 0x80
    }

    /// FNV-1a of a word, lowercased.
    public func wordHash(_ index: Int) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for position in words[index] {
            var byte = bytes[position]
            if byte >= 0x41 && byte <= 0x5A { byte += 0x20 }
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// Whether the words `first ..< first + count` are all numbers (a run of digits is no
    /// evidence of a shared source: `0 1 2 3 4 5 6 7 8 9`).
    public func isNumeric(_ first: Int, count: Int) -> Bool {
        (first..<first + count).allSatisfy { words[$0].allSatisfy { bytes[$0] >= 0x30 && bytes[$0] <= 0x39 } }
    }

    /// The words `first ..< first + count` as text (lowercased, one space apart).
    public func wordText(_ first: Int, count: Int) -> String {
        (first..<first + count).map { String(decoding: bytes[words[$0]], as: UTF8.self).lowercased() }.joined(separator: " ")
    }

    /// Hash of every window of `n` consecutive words (index = the window's first word),
    /// computed with a rolling polynomial so each window costs O(1).
    public func windowHashes(_ n: Int) -> [UInt64] {
        guard n >= 1, words.count >= n else { return [] }
        let hashes = words.indices.map(wordHash)
        return Self.rolling(hashes, n)
    }

    static let base: UInt64 = 0x9E37_79B9_7F4A_7C15 | 1

    static func rolling(_ hashes: [UInt64], _ n: Int) -> [UInt64] {
        var power: UInt64 = 1
        for _ in 1..<max(n, 1) { power = power &* base }
        var result: [UInt64] = []
        result.reserveCapacity(hashes.count - n + 1)
        var value: UInt64 = 0
        for (index, hash) in hashes.enumerated() {
            if index >= n { value = value &- hashes[index - n] &* power }
            value = value &* base &+ hash
            if index >= n - 1 { result.append(value) }
        }
        return result
    }

    /// Whether `needle` occurs in these bytes.
    public func contains(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= bytes.count else { return needle.isEmpty }
        // memchr for the first byte, memcmp for the rest (Glibc's memmem is not imported).
        return bytes.withUnsafeBytes { hay in
            needle.withUnsafeBytes { pin in
                let base = hay.baseAddress!, first = Int32(needle[0]), last = hay.count - needle.count
                var offset = 0
                while offset <= last {
                    guard let hit = memchr(base + offset, first, last - offset + 1) else { return false }
                    let position = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + position, pin.baseAddress!, needle.count) == 0 { return true }
                    offset = position + 1
                }
                return false
            }
        }
    }
}

/// Lines too common to count as a match (`return True`, `else:`): compared after trimming.
public struct Whitelist: Sendable {
    public private(set) var lines: Set<String>
    /// Bytes of the longest line: a longer line is never looked up.
    private var longest = 0

    public static let defaultLines: [String] = [
        "pass", "return", "return True", "return False", "return None", "return 0", "return 1", "return -1",
        "return result", "return res", "return ans", "return count", "return total", "return x", "return n",
        "else:", "try:", "finally:", "break", "continue", "\"\"\"", "'''", "result = []", "res = []", "count = 0",
        "import math", "import re", "import sys", "import os", "import collections", "import heapq", "import itertools",
        "from typing import List", "from typing import List, Tuple", "from typing import Optional", "from typing import Any",
        "from typing import List, Optional", "from typing import Tuple", "from typing import Dict",
        "if __name__ == \"__main__\":", "if __name__ == '__main__':", "main()",
    ]

    public init(lines: [String] = Whitelist.defaultLines) {
        self.lines = Set(lines.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        longest = self.lines.map(\.utf8.count).max() ?? 0
    }

    public mutating func add(_ more: [String]) {
        for line in more {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty {
                lines.insert(trimmed)
                longest = max(longest, trimmed.utf8.count)
            }
        }
    }

    /// Whether a line (its bytes) is blank or, trimmed of spaces and tabs, a whitelisted line.
    func contains(_ line: ArraySlice<UInt8>) -> Bool {
        var low = line.startIndex, high = line.endIndex
        while low < high, line[low] == 0x20 || line[low] == 0x09 { low += 1 }
        while high > low, line[high - 1] == 0x20 || line[high - 1] == 0x09 { high -= 1 }
        if low == high { return true }
        guard high - low <= longest else { return false }
        return lines.contains(String(decoding: line[low..<high], as: UTF8.self))
    }
}
