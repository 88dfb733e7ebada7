/// A growable byte buffer that appends with `memcpy` and stores integers in place, for the encoders every hop
/// runs (``JSONWriter``, the hop log's binary arrays).
///
/// `Array.append(contentsOf:)` of a small buffer cost about a hundred instructions, and an envelope or a hop-log
/// batch makes hundreds of small appends.
///
/// The small appends are `@inlinable`, so that other modules' encoders (the hop log's) call no generic code.
public struct ByteWriter: ~Copyable {
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var written = 0
    @usableFromInline var capacity: Int

    /// How many bytes have been written.
    public var count: Int {
        written
    }

    public init(capacity: Int = 1024) {
        self.capacity = Swift.max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit {
        base.deallocate()
    }

    /// The bytes written so far.
    public var bytes: [UInt8] {
        Array(UnsafeBufferPointer(start: base, count: written))
    }

    /// Appends one byte.
    @inlinable
    public mutating func append(_ byte: UInt8) {
        reserve(1)
        base[written] = byte
        written += 1
    }

    /// Appends `bytes`.
    public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (base + written).update(from: source, count: bytes.count)
        written += bytes.count
    }

    /// Appends the UTF-8 bytes of `text`.
    public mutating func append(utf8 text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    /// Appends `value` in network byte order (big-endian), as binary wire formats store integers.
    @inlinable
    public mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        let size = MemoryLayout<T>.size
        reserve(size)
        UnsafeMutableRawPointer(base + written).storeBytes(of: value.bigEndian, as: T.self)
        written += size
    }

    /// Lets `body` write at most `maximum` bytes in place; it returns how many it wrote.
    public mutating func write(atMost maximum: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        reserve(maximum)
        let wrote = body(base + written)
        precondition(wrote >= 0 && wrote <= maximum, "ByteWriter.write: wrote \(wrote) of at most \(maximum) bytes")
        written += wrote
    }

    /// Makes room for `extra` more bytes.
    @inlinable
    public mutating func reserve(_ extra: Int) {
        if written + extra > capacity { grow(toHold: extra) }
    }

    @usableFromInline mutating func grow(toHold extra: Int) {
        let newCapacity = Swift.max(capacity * 2, written + extra)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.update(from: base, count: written)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }
}
