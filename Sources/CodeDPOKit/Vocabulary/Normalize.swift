/// The normal form that code and prompts are identified by: line endings unified, trailing
/// spaces and tabs dropped from every line, blank lines at the start and end dropped, one
/// final newline. Indentation is kept (it is Python's syntax). Empty text stays empty.
public enum Normalize {
    public static func text(_ text: String) -> String {
        if isNormal(text) { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 1)
        var lineStart = 0        // index in `bytes` where the current line starts
        var lastContent = -1     // index just after the last line that had content
        var sawContent = false

        func endLine() {
            // Trim trailing spaces/tabs of the line just finished.
            while bytes.count > lineStart, bytes.last == 0x20 || bytes.last == 0x09 { bytes.removeLast() }
            if bytes.count > lineStart {
                sawContent = true
                lastContent = bytes.count
            } else if !sawContent {
                // Blank lines before the first content line are dropped.
                bytes.removeSubrange(lineStart...)
                return
            }
            bytes.append(0x0A)
            lineStart = bytes.count
        }

        var previousWasCR = false
        for byte in text.utf8 {
            if byte == 0x0D {
                endLine()
                previousWasCR = true
                continue
            }
            if byte == 0x0A {
                if !previousWasCR { endLine() }
                previousWasCR = false
                continue
            }
            previousWasCR = false
            bytes.append(byte)
        }
        endLine()
        guard sawContent else { return "" }
        bytes.removeSubrange(lastContent...)
        bytes.append(0x0A)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// True when `text` is already in normal form, checked in one pass without copying
    /// (the common case for generated code): no CR, no line ending in a space or tab (so no
    /// whitespace-only line), not starting with a newline, ending in exactly one newline.
    static func isNormal(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            let count = bytes.count
            guard count >= 2, bytes[0] != 0x0A, bytes[count - 1] == 0x0A, bytes[count - 2] != 0x0A else { return false }
            var previous: UInt8 = 0
            for byte in bytes {
                if byte == 0x0D { return false }
                if byte == 0x0A && (previous == 0x20 || previous == 0x09) { return false }
                previous = byte
            }
            return true
        } ?? false
    }

    /// SHA-256 of already-normalized text.
    public static func hash(_ normalized: String) -> String { SHA256.hex(normalized) }

    /// A problem is identified by its language, entry point and normalized prompt.
    public static func problemHash(prompt: String, entryPoint: String?, language: String) -> String {
        SHA256.hex(language + "\u{0}" + (entryPoint ?? "") + "\u{0}" + text(prompt))
    }
}
