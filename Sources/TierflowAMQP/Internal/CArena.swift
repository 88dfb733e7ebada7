import CRabbitMQ
import Glibc

/// Memory for the C structures of one broker call (strings, field tables, properties).
///
/// rabbitmq-c borrows every `amqp_bytes_t` and table it is given, so they must outlive the call: allocate
/// them here, make the call, then `reset()`. A bump allocator over one reused block, so a publish costs no
/// `malloc` in the common case. Owned by one connection thread; not `Sendable`.
final class CArena {
    private let blockSize: Int
    private let block: UnsafeMutableRawPointer
    private var offset = 0
    private var overflow: [UnsafeMutableRawPointer] = []

    init(blockSize: Int = 64 * 1024) {
        self.blockSize = blockSize
        self.block = UnsafeMutableRawPointer.allocate(byteCount: blockSize, alignment: 16)
    }

    deinit {
        reset()
        block.deallocate()
    }

    /// Frees everything allocated since the last reset.
    func reset() {
        offset = 0
        for pointer in overflow { pointer.deallocate() }
        overflow.removeAll(keepingCapacity: true)
    }

    /// Uninitialised memory for `byteCount` bytes, 16-byte aligned.
    func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        let size = max(byteCount, 1)
        let aligned = (offset + 15) & ~15
        if aligned + size <= blockSize {
            offset = aligned + size
            return block + aligned
        }
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        overflow.append(pointer)
        return pointer
    }

    /// Room for `count` values of `type`.
    func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        allocate(byteCount: MemoryLayout<T>.stride * max(count, 1)).bindMemory(to: T.self, capacity: max(count, 1))
    }

    /// A copy of the string's UTF-8 bytes.
    func bytes(_ text: String) -> amqp_bytes_t {
        var text = text
        return text.withUTF8 { bytes(UnsafeRawBufferPointer($0)) }
    }

    /// A copy of the bytes.
    func bytes(_ source: UnsafeRawBufferPointer) -> amqp_bytes_t {
        guard source.count > 0, let base = source.baseAddress else { return amqp_bytes_t(len: 0, bytes: nil) }
        let pointer = allocate(byteCount: source.count)
        pointer.copyMemory(from: base, byteCount: source.count)
        return amqp_bytes_t(len: source.count, bytes: pointer)
    }

    /// A copy of the array's bytes.
    func bytes(_ source: [UInt8]) -> amqp_bytes_t {
        source.withUnsafeBytes { bytes($0) }
    }
}

extension amqp_bytes_t {
    /// The bytes as a Swift array (a copy).
    var array: [UInt8] {
        guard len > 0, let bytes else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: len))
    }

    /// The bytes as UTF-8 text (a copy; invalid sequences are repaired).
    var string: String {
        guard len > 0, let bytes else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: len), as: UTF8.self)
    }

    /// The bytes as text if they are valid UTF-8.
    var validString: String? {
        guard len > 0, let bytes else { return "" }
        return String(validating: UnsafeRawBufferPointer(start: bytes, count: len), as: UTF8.self)
    }
}
