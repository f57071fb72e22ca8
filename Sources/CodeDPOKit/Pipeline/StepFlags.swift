import Foundation

/// One step's flags as a pipeline config gives them (the command's flags without the dashes,
/// paths already resolved against the config's folder), read into a typed stage request by
/// the builders in StageRequests+Flags.swift. A key no builder reads is a typo: `finish()`
/// reports it with the step's place in the config, before anything runs.
public final class StepFlags {
    public let location: String
    private let fields: [String: JSON]
    private var read: Set<String> = []

    public init(location: String, fields: [(String, JSON)]) {
        self.location = location
        self.fields = Dictionary(fields, uniquingKeysWith: { _, last in last })
    }

    private func value(_ key: String) -> JSON? {
        read.insert(key)
        switch fields[key] {
        case nil, .null?: return nil
        case let value?: return value
        }
    }

    private func wrong(_ key: String, _ wanted: String) -> UsageError {
        UsageError("\(location): \"\(key)\" takes \(wanted)")
    }

    /// A string, or a number written as its text (so "damping": 0.85 and "0.85" agree).
    public func string(_ key: String) throws -> String? {
        switch value(key) {
        case nil: return nil
        case .string(let s)?: return s
        case .int(let i)?: return String(i)
        case .double(let d)?: return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        default: throw wrong(key, "a string or a number")
        }
    }

    /// A list, or one value (a flag given once).
    public func strings(_ key: String) throws -> [String] {
        guard let value = value(key) else { return [] }
        let items = value.arrayValue ?? [value]
        return try items.map { item in
            switch item {
            case .string(let s): return s
            case .int(let i): return String(i)
            default: throw wrong(key, "a string or a list of strings")
            }
        }
    }

    public func double(_ key: String) throws -> Double? {
        switch value(key) {
        case nil: return nil
        case .int(let i)?: return Double(i)
        case .double(let d)?: return d
        case .string(let s)?: if let d = Double(s) { return d }; throw wrong(key, "a number")
        default: throw wrong(key, "a number")
        }
    }

    public func int(_ key: String) throws -> Int? {
        switch value(key) {
        case nil: return nil
        case .int(let i)?: return Int(i)
        case .double(let d)? where d == d.rounded() && abs(d) < 1e15: return Int(d)
        case .string(let s)?: if let i = Int(s) { return i }; throw wrong(key, "a whole number")
        default: throw wrong(key, "a whole number")
        }
    }

    public func int64(_ key: String) throws -> Int64? { try int(key).map(Int64.init) }

    public func uint64(_ key: String) throws -> UInt64? {
        guard let value = try int(key) else { return nil }
        guard value >= 0 else { throw wrong(key, "a whole number >= 0") }
        return UInt64(value)
    }

    public func int64s(_ key: String) throws -> [Int64] {
        try strings(key).map { text in
            guard let value = Int64(text) else { throw wrong(key, "whole numbers") }
            return value
        }
    }

    /// A bare flag: true, false, or absent (false).
    public func bool(_ key: String) throws -> Bool {
        switch value(key) {
        case nil: return false
        case .bool(let b)?: return b
        default: throw wrong(key, "true or false")
        }
    }

    /// A value of a closed set (an enum's raw values).
    public func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) throws -> T? where T.RawValue == String {
        guard let text = try string(key) else { return nil }
        guard let value = T(rawValue: text) else {
            throw UsageError("\(location): \"\(key)\" is one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), not \(text)")
        }
        return value
    }

    /// Keys the command takes that change nothing in a pipeline (how it prints, progress).
    public func ignore(_ keys: String...) { read.formUnion(keys) }

    /// Refuses a key the command has but a pipeline cannot honour.
    public func refuse(_ key: String, because reason: String) throws {
        if fields[key] != nil && fields[key] != .bool(false) { throw UsageError("\(location): \"\(key)\" \(reason)") }
        read.insert(key)
    }

    /// Every key was read: an unknown one is a typo.
    public func finish(command: String) throws {
        let unknown = fields.keys.filter { !read.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw UsageError("\(location): unknown flag\(unknown.count > 1 ? "s" : "") \(unknown.map { "\"\($0)\"" }.joined(separator: ", ")): a step takes the flags of `codedpo \(command) --help`, without the dashes")
        }
    }
}
