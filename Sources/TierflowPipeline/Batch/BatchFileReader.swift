import Foundation

/// Reads a file one physical line at a time in fixed-size chunks, never holding more than a chunk and the
/// current line, and tracks each line's number and the byte offset just after it (to resume from).
///
/// Not `Sendable`: one task owns it. Reads go to the page cache in 64 KiB chunks.
public final class BatchFileReader {
    /// One physical line, without its `\n` (or `\r\n`).
    public struct Line: Sendable, Hashable {
        /// 1-based line number in the file.
        public var number: Int
        public var bytes: [UInt8]
        /// Byte offset just after the line's end of line: where the next line starts.
        public var endOffset: Int64
    }

    private let handle: FileHandle
    private let chunkSize: Int
    private var buffer: [UInt8] = []
    private var position = 0
    /// File offset of `buffer[0]`.
    private var bufferOffset: Int64
    private var atEnd = false
    /// The number the next line will get.
    public private(set) var nextNumber: Int

    /// Opens `path` and positions it at `offset`, whose line is numbered `line`.
    public init(path: String, offset: Int64 = 0, line: Int = 1, chunkSize: Int = 1 << 16) throws(BatchInputError) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw BatchInputError(.unreadableFile, "cannot open the file", file: path)
        }
        do {
            try handle.seek(toOffset: UInt64(offset))
        } catch {
            throw BatchInputError(.unreadableFile, "cannot seek to byte \(offset): \(error)", file: path)
        }
        self.handle = handle
        self.chunkSize = chunkSize
        bufferOffset = offset
        nextNumber = line
    }

    deinit { try? handle.close() }

    /// The next line, or nil at the end of the file.
    public func next() throws(BatchInputError) -> Line? {
        while true {
            if let newline = buffer[position...].firstIndex(of: UInt8(ascii: "\n")) {
                return take(upTo: newline, consumed: newline + 1)
            }
            if atEnd {
                guard position < buffer.count else { return nil }
                return take(upTo: buffer.count, consumed: buffer.count)
            }
            try fill()
        }
    }

    private func take(upTo end: Int, consumed: Int) -> Line {
        var stop = end
        if stop > position, buffer[stop - 1] == UInt8(ascii: "\r") { stop -= 1 }
        let line = Line(number: nextNumber, bytes: Array(buffer[position..<stop]), endOffset: bufferOffset + Int64(consumed))
        position = consumed
        nextNumber += 1
        return line
    }

    private func fill() throws(BatchInputError) {
        if position > 0 {
            buffer.removeFirst(position)
            bufferOffset += Int64(position)
            position = 0
        }
        let data: Data?
        do {
            data = try handle.read(upToCount: chunkSize)
        } catch {
            throw BatchInputError(.unreadableFile, "read failed: \(error)")
        }
        guard let data, !data.isEmpty else {
            atEnd = true
            return
        }
        buffer.append(contentsOf: data)
    }

    /// Counts the physical lines of `path` (a final line without `\n` counts), streaming.
    public static func countLines(path: String) throws(BatchInputError) -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw BatchInputError(.unreadableFile, "cannot open the file", file: path)
        }
        defer { try? handle.close() }
        var count = 0
        var last: UInt8 = UInt8(ascii: "\n")
        while true {
            let data: Data?
            do { data = try handle.read(upToCount: 1 << 20) } catch {
                throw BatchInputError(.unreadableFile, "read failed: \(error)", file: path)
            }
            guard let data, !data.isEmpty else { break }
            data.withUnsafeBytes { raw in
                for byte in raw where byte == UInt8(ascii: "\n") { count += 1 }
            }
            last = data.last!
        }
        return last == UInt8(ascii: "\n") ? count : count + 1
    }
}
