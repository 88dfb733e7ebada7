/// Parameter values laid out for `PQexecParams`/`PQexecPrepared`: C buffers (text values NUL-terminated),
/// lengths, formats and type OIDs. Owned by the caller; `deallocate()` exactly once.
struct EncodedParameters {
    let types: [UInt32]
    private let buffers: [UnsafeMutablePointer<CChar>?]
    private let lengths: [Int32]
    private let formats: [Int32]

    init(_ values: [PostgresValue]) {
        var buffers = [UnsafeMutablePointer<CChar>?]()
        var lengths = [Int32]()
        var formats = [Int32]()
        buffers.reserveCapacity(values.count)
        for value in values {
            guard let (bytes, isBinary) = value.wireBytes else {
                buffers.append(nil)
                lengths.append(0)
                formats.append(0)
                continue
            }
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress ?? UnsafeRawPointer(buffer), byteCount: bytes.count)
            }
            buffer[bytes.count] = 0
            buffers.append(buffer)
            lengths.append(Int32(bytes.count))
            formats.append(isBinary ? 1 : 0)
        }
        self.types = values.map(\.typeOID)
        self.buffers = buffers
        self.lengths = lengths
        self.formats = formats
    }

    func deallocate() {
        for buffer in buffers { buffer?.deallocate() }
    }

    func withPointers<R>(
        _ body: (
            UnsafePointer<UInt32>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?
        ) -> R
    ) -> R {
        let values = buffers.map { UnsafePointer($0) }
        return types.withUnsafeBufferPointer { types in
            values.withUnsafeBufferPointer { values in
                lengths.withUnsafeBufferPointer { lengths in
                    formats.withUnsafeBufferPointer { formats in
                        body(types.baseAddress, values.baseAddress, lengths.baseAddress, formats.baseAddress)
                    }
                }
            }
        }
    }
}
