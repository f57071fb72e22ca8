/// The manifest written beside every export (and stored in `exports.manifest`): named
/// sections in a fixed order, so a stage adds what it knows as one more section without
/// touching the others (e.g. `manifest.set("decontamination", ...)`).
public struct ExportManifest: Sendable {
    public private(set) var sections: [(String, JSON)] = []

    public init() {}

    /// Sets a section, replacing one of the same name in place.
    public mutating func set(_ name: String, _ value: JSON) {
        if let index = sections.firstIndex(where: { $0.0 == name }) { sections[index].1 = value } else { sections.append((name, value)) }
    }

    public subscript(name: String) -> JSON? { sections.first { $0.0 == name }?.1 }

    public var json: JSON { .object(sections) }
}
