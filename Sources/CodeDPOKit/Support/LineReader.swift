import CZlib
import Foundation

/// Reads a file line by line in fixed memory, plain or gzip (detected by its magic bytes),
/// so a 1 GB import never holds more than one line and one chunk.
public final class LineReader {
    public enum Line {
        case text(UnsafeRawBufferPointer)
        /// A line longer than the limit: its length; its bytes were skipped, not kept.
        case tooLong(Int)
    }

    public let path: String
    public let maxLineBytes: Int
    public private(set) var lineNumber = 0
    private let fd: Int32
    private let gzip: Bool
    private var stream = z_stream()
    private var raw = [UInt8](repeating: 0, count: 1 << 20)
    private var rawStart = 0, rawEnd = 0
    private var chunk = [UInt8](repeating: 0, count: 1 << 20)
    private var chunkStart = 0, chunkEnd = 0
    private var carry: [UInt8] = []
    private var carryOverflow = 0
    private var eof = false
    /// Bytes read from the file itself (compressed bytes for gzip), for progress.
    public private(set) var bytesRead = 0

    public init(path: String, maxLineBytes: Int = 64 << 20) throws {
        self.path = path
        self.maxLineBytes = maxLineBytes
        fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw StoreError("cannot read \(path): \(String(cString: strerror(errno)))") }
        var magic = [UInt8](repeating: 0, count: 2)
        let count = pread(fd, &magic, 2, 0)
        gzip = count == 2 && magic[0] == 0x1F && magic[1] == 0x8B
        if gzip {
            guard codedpo_inflate_init(&stream) == Z_OK else { throw StoreError("\(path): cannot start gzip decompression") }
        }
    }

    deinit {
        if gzip { inflateEnd(&stream) }
        close(fd)
    }

    /// Fills `chunk` with the next decompressed (or plain) bytes; false at end of file.
    private func fill() throws -> Bool {
        chunkStart = 0
        chunkEnd = 0
        if !gzip {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw StoreError("\(path): read failed: \(String(cString: strerror(errno)))") }
            bytesRead += count
            chunkEnd = count
            return count > 0
        }
        while chunkEnd == 0 {
            if rawStart == rawEnd {
                let count = raw.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                guard count >= 0 else { throw StoreError("\(path): read failed: \(String(cString: strerror(errno)))") }
                bytesRead += count
                if count == 0 { return false }
                rawStart = 0
                rawEnd = count
            }
            let status: Int32 = raw.withUnsafeMutableBytes { rawBytes in
                chunk.withUnsafeMutableBytes { out in
                    stream.next_in = rawBytes.baseAddress!.advanced(by: rawStart).assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = uInt(rawEnd - rawStart)
                    stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_out = uInt(out.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    rawStart = rawEnd - Int(stream.avail_in)
                    chunkEnd = out.count - Int(stream.avail_out)
                    return status
                }
            }
            switch status {
            case Z_OK, Z_BUF_ERROR: continue
            case Z_STREAM_END:
                // Concatenated gzip members are one file (as gzip -d reads them).
                inflateReset(&stream)
            default:
                throw StoreError("\(path): corrupt gzip data (zlib status \(status)); check the file is complete")
            }
        }
        return true
    }

    /// Calls `body` with the next line (without its newline and a trailing CR), or returns
    /// false at end of file. The bytes are valid only during the call.
    public func next<T>(_ body: (Line) throws -> T) throws -> T? {
        carry.removeAll(keepingCapacity: true)
        carryOverflow = 0
        while true {
            if chunkStart == chunkEnd {
                if try eof || !fill() {
                    eof = true
                    if carry.isEmpty && carryOverflow == 0 { return nil }
                    lineNumber += 1
                    return try deliver(body)
                }
            }
            let found: Int? = chunk.withUnsafeBytes { bytes in
                guard let pointer = memchr(bytes.baseAddress! + chunkStart, 0x0A, chunkEnd - chunkStart) else { return nil }
                return bytes.baseAddress!.distance(to: UnsafeRawPointer(pointer))
            }
            if let newline = found {
                lineNumber += 1
                if carry.isEmpty && carryOverflow == 0 {
                    // The common case: the whole line is inside the chunk; no copy.
                    var end = newline
                    if end > chunkStart && chunk[end - 1] == 0x0D { end -= 1 }
                    let start = chunkStart
                    chunkStart = newline + 1
                    if end - start > maxLineBytes { return try body(.tooLong(end - start)) }
                    return try chunk.withUnsafeBytes { try body(.text(UnsafeRawBufferPointer(rebasing: $0[start..<end]))) }
                }
                append(chunkStart..<newline)
                chunkStart = newline + 1
                return try deliver(body)
            }
            append(chunkStart..<chunkEnd)
            chunkStart = chunkEnd
        }
    }

    private func append(_ range: Range<Int>) {
        if carryOverflow > 0 || carry.count + range.count > maxLineBytes {
            carryOverflow += carry.count + range.count
            carry.removeAll(keepingCapacity: false)
            return
        }
        carry.append(contentsOf: chunk[range])
    }

    private func deliver<T>(_ body: (Line) throws -> T) throws -> T {
        if carryOverflow > 0 { return try body(.tooLong(carryOverflow)) }
        if carry.last == 0x0D { carry.removeLast() }
        return try carry.withUnsafeBytes { try body(.text($0)) }
    }

    /// SHA-256 and size of a whole file's bytes, read in chunks.
    public static func digest(path: String) throws -> (sha256: String, size: Int) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw StoreError("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var size = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw StoreError("\(path): read failed") }
            if count == 0 { break }
            size += count
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return (SHA256.hexString(hasher.finalize()), size)
    }
}
