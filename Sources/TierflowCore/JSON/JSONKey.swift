/// An object key as ``JSONScanner`` read it, matched against the schema's names without making a `String`:
/// `switch key { case "schema": … }`. It points into the scanner's input, so it is valid only inside the
/// `object` body that received it.
public struct JSONKey {
    /// The key's bytes in the input, when it held no escapes.
    @usableFromInline let raw: UnsafeBufferPointer<UInt8>
    /// The key is `raw`, and `raw` is plain ASCII: compared byte for byte.
    @usableFromInline let isPlainASCII: Bool
    /// The key with its escapes resolved, when it held any.
    let unescaped: String?

    init(raw: UnsafeBufferPointer<UInt8>) {
        self.raw = raw
        isPlainASCII = ByteSearch.endOfASCII(in: raw) == raw.count
        unescaped = nil
    }

    init(unescaped: String) {
        raw = UnsafeBufferPointer(start: nil, count: 0)
        isPlainASCII = false
        self.unescaped = unescaped
    }

    /// The key as text.
    public var string: String {
        unescaped ?? String(decoding: raw, as: UTF8.self)
    }

    /// Whether the key is `name`, as `String`'s `==` would say: byte for byte when the key is plain ASCII, by
    /// `String` comparison otherwise (so a key with escapes, or one canonically equal to `name`, still matches).
    @inlinable @inline(__always)
    public static func ~= (name: StaticString, key: JSONKey) -> Bool {
        guard key.isPlainASCII else { return key.isEqual(toText: name) }
        let length = name.utf8CodeUnitCount
        guard key.raw.count == length else { return false }
        let pattern = name.utf8Start
        for index in 0..<length where key.raw[index] != pattern[index] { return false }
        return true
    }

    @usableFromInline func isEqual(toText name: StaticString) -> Bool {
        string == "\(name)"
    }
}
