import Foundation

/// Encodes and decodes JSON messages, refusing bad input with a ``MessageRejection``.
///
/// Checks run cheapest first: size, NUL bytes, UTF-8, then JSON and the schema.
public struct EnvelopeCodec: Sendable {
    /// Largest message accepted, in bytes.
    public var maxMessageBytes: Int

    public init(maxMessageBytes: Int = 1 << 20) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// Decodes a query envelope.
    public func decodeEnvelope(_ bytes: [UInt8]) throws(MessageRejection) -> QueryEnvelope {
        try validate(bytes)
        if let envelope = QueryEnvelope.fastDecoded(from: bytes), envelope.schema == QueryEnvelope.schemaVersion, !envelope.id.isEmpty {
            return envelope
        }
        // Anything the fast reader refuses is read again by JSONDecoder, which accepts it or says what is wrong.
        let envelope: QueryEnvelope
        do {
            envelope = try Self.decoder.decode(QueryEnvelope.self, from: Data(bytes))
        } catch {
            if let schema = Self.schemaVersion(in: bytes), schema != QueryEnvelope.schemaVersion {
                throw MessageRejection(.unknownSchema, "schema version \(schema) is not supported (this build reads \(QueryEnvelope.schemaVersion))")
            }
            throw Self.rejection(for: error)
        }
        guard envelope.schema == QueryEnvelope.schemaVersion else {
            throw MessageRejection(.unknownSchema, "schema version \(envelope.schema) is not supported (this build reads \(QueryEnvelope.schemaVersion))")
        }
        guard !envelope.id.isEmpty else { throw MessageRejection(.invalidField, "id: must not be empty") }
        return envelope
    }

    /// Decodes any JSON value of type `T` after the same checks.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(MessageRejection) -> T {
        try validate(bytes)
        if let fast = T.self as? any JSONFastDecodable.Type, let value = fast.fastDecoded(from: bytes) as? T {
            return value
        }
        do {
            return try Self.decoder.decode(T.self, from: Data(bytes))
        } catch {
            throw Self.rejection(for: error)
        }
    }

    /// Encodes a value as compact JSON.
    public func encode<T: Encodable>(_ value: T) -> [UInt8] {
        if let fast = value as? any JSONFastEncodable, let bytes = fast.fastEncoded() { return bytes }
        // Encoding our own Codable types cannot fail: no non-finite doubles reach them.
        return (try? [UInt8](Self.encoder.encode(value))) ?? Array("{}".utf8)
    }

    /// The size, NUL and UTF-8 checks alone.
    public func validate(_ bytes: [UInt8]) throws(MessageRejection) {
        guard bytes.count <= maxMessageBytes else {
            throw MessageRejection(.tooLarge, "message is \(bytes.count) bytes; the limit is \(maxMessageBytes)")
        }
        if let offset = ByteSearch.firstIndex(of: 0, in: bytes) {
            throw MessageRejection(.nulByte, "NUL byte at offset \(offset)")
        }
        if let offset = Self.invalidUTF8Offset(bytes) {
            throw MessageRejection(.invalidUTF8, "invalid UTF-8 at offset \(offset)")
        }
        if let offset = Self.escapedNulOffset(bytes) {
            throw MessageRejection(.nulByte, "escaped NUL (\\u0000) at offset \(offset)")
        }
    }

    // MARK: Helpers

    /// Shared, configured once: Foundation's JSON coders are `Sendable` and keep no per-call state.
    static let decoder = makeDecoder()
    static let encoder = makeEncoder()

    static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an ISO 8601 time, got \"\(text)\"")
            }
            return date
        }
        return decoder
    }

    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        return encoder
    }

    static func rejection(for error: any Error) -> MessageRejection {
        guard let error = error as? DecodingError else {
            return MessageRejection(.notJSON, "not valid JSON")
        }
        func path(_ context: DecodingError.Context, extra: String? = nil) -> String {
            var parts: [String] = []
            for key in context.codingPath {
                if let index = key.intValue { parts.append("[\(index)]") } else { parts.append((parts.isEmpty ? "" : ".") + key.stringValue) }
            }
            if let extra { parts.append((parts.isEmpty ? "" : ".") + extra) }
            let joined = parts.joined()
            return joined.isEmpty ? "message" : joined
        }
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return MessageRejection(.notJSON, "not valid JSON")
            }
            return MessageRejection(.invalidField, "\(path(context)): \(context.debugDescription)")
        case .keyNotFound(let key, let context):
            return MessageRejection(.invalidField, "\(path(context, extra: key.stringValue)): required field is missing")
        case .typeMismatch(let type, let context):
            return MessageRejection(.invalidField, "\(path(context)): expected \(Self.describe(type))")
        case .valueNotFound(let type, let context):
            return MessageRejection(.invalidField, "\(path(context)): expected \(Self.describe(type)), got null")
        @unknown default:
            return MessageRejection(.invalidField, "\(error)")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "text"
        case is Int.Type, is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is [Any].Type: return "a list"
        default:
            let name = "\(type)"
            return name.hasPrefix("Dictionary") || name.hasPrefix("[") ? "an object" : "an object"
        }
    }

    private static func schemaVersion(in bytes: [UInt8]) -> Int? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return nil }
        return (object["schema"] as? NSNumber)?.intValue
    }

    private static func invalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte < 0x80 {
                index = bytes.withUnsafeBufferPointer { ByteSearch.endOfASCII(in: $0, from: index + 1) }
                continue
            }
            let length: Int
            if byte & 0xE0 == 0xC0, byte >= 0xC2 { length = 2 }
            else if byte & 0xF0 == 0xE0 { length = 3 }
            else if byte & 0xF8 == 0xF0, byte <= 0xF4 { length = 4 }
            else { return index }
            guard index + length <= count else { return index }
            for next in 1..<length where bytes[index + next] & 0xC0 != 0x80 { return index }
            if length == 3 {
                let second = bytes[index + 1]
                if byte == 0xE0 && second < 0xA0 { return index }  // overlong
                if byte == 0xED && second >= 0xA0 { return index }  // UTF-16 surrogate
            } else if length == 4 {
                let second = bytes[index + 1]
                if byte == 0xF0 && second < 0x90 { return index }
                if byte == 0xF4 && second >= 0x90 { return index }
            }
            index += length
        }
        return nil
    }

    private static func escapedNulOffset(_ bytes: [UInt8]) -> Int? {
        // `\u0000` in JSON text (any case of hex digits); an escaped backslash before it does not count.
        // `memchr` jumps from one backslash to the next.
        bytes.withUnsafeBufferPointer { buffer in
            let count = buffer.count
            var index = 0
            while index + 5 < count {
                guard let backslash = ByteSearch.firstIndex(of: UInt8(ascii: "\\"), in: buffer, from: index, to: count - 5) else {
                    return nil
                }
                if buffer[backslash + 1] == UInt8(ascii: "u"), buffer[backslash + 2] == 0x30, buffer[backslash + 3] == 0x30,
                    buffer[backslash + 4] == 0x30, buffer[backslash + 5] == 0x30 {
                    return backslash
                }
                index = backslash + 2  // skip the escaped character, so `\\u0000` is text, not a NUL
            }
            return nil
        }
    }
}
