/// A type that writes its own JSON, compatible with its `Encodable` form (``EnvelopeCodec`` prefers it).
public protocol JSONFastEncodable: Encodable {
    /// Writes the value as `JSONEncoder` would (nil optionals omitted).
    func writeJSON(to writer: inout JSONWriter)
}

/// A type that reads its own JSON as its `Decodable` form would, strictly: anything the fast reader refuses
/// is read again by `JSONDecoder`, so the fast path never changes what is accepted or how bad input is explained.
public protocol JSONFastDecodable: Decodable {
    /// Reads the value as `JSONDecoder` would, or throws for the fallback to decide.
    init(json scanner: inout JSONScanner) throws
}

/// A message type that reads and writes its own JSON (the types every hop carries, the gateway's OpenAI bodies).
public typealias JSONFastCodable = JSONFastDecodable & JSONFastEncodable

extension JSONFastDecodable {
    /// The value read from a whole JSON document, or nil when the fast reader gives up.
    public static func fastDecoded(from bytes: [UInt8]) -> Self? {
        bytes.withUnsafeBufferPointer { buffer -> Self? in
            var scanner = JSONScanner(buffer)
            guard let value = try? Self(json: &scanner), (try? scanner.end()) != nil else { return nil }
            return value
        }
    }
}

extension JSONFastEncodable {
    /// The value as compact JSON, or nil when it holds something JSON cannot (a non-finite number).
    public func fastEncoded() -> [UInt8]? {
        var writer = JSONWriter()
        writeJSON(to: &writer)
        return writer.failed ? nil : writer.bytes
    }
}

/// A required field was absent.
public struct MissingJSONField: Error {
    public var name: String

    public init(name: String) {
        self.name = name
    }
}

extension JSONScanner {
    /// Unwraps a required field read from JSON.
    public static func required<T>(_ value: T?, _ name: String) throws -> T {
        guard let value else { throw MissingJSONField(name: name) }
        return value
    }

    /// A string, or nil for `null`.
    public mutating func optionalString() throws -> String? {
        null() ? nil : try string()
    }

    /// An integer, or nil for `null`.
    public mutating func optionalInt() throws -> Int? {
        null() ? nil : try int()
    }

    /// A number, or nil for `null`.
    public mutating func optionalDouble() throws -> Double? {
        null() ? nil : try double()
    }

    /// A string with one of `T`'s raw values.
    public mutating func enumeration<T: RawRepresentable<String>>(_ type: T.Type) throws -> T {
        let text = try string()
        guard let value = T(rawValue: text) else { throw JSONScanError(offset: 0, reason: "unknown value \(text)") }
        return value
    }

    /// A time, or nil for `null`.
    public mutating func optionalDate() throws -> Date? {
        null() ? nil : try date()
    }

    /// An array of strings, or nil for `null`.
    public mutating func optionalStrings() throws -> [String]? {
        if null() { return nil }
        var values: [String] = []
        try array { values.append(try $0.string()) }
        return values
    }

    /// An object of numbers, or nil for `null`.
    public mutating func optionalNumbers() throws -> [String: Double]? {
        if null() { return nil }
        var values: [String: Double] = [:]
        try object { key, scanner in values[key.string] = try scanner.double() }
        return values
    }

    /// An array of fast-readable values.
    public mutating func list<T: JSONFastDecodable>(of type: T.Type) throws -> [T] {
        var values: [T] = []
        try array { values.append(try T(json: &$0)) }
        return values
    }
}

import struct Foundation.Date

extension Dictionary: JSONFastCodable where Key == String, Value == Double {
    /// An object of numbers, as the hop log's `detail` column often holds.
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        for (key, value) in self {
            writer.key(key)
            writer.double(value)
        }
        writer.endObject()
    }

    public init(json scanner: inout JSONScanner) throws {
        self = try JSONScanner.required(try scanner.optionalNumbers(), "object")
    }
}

extension Array: JSONFastEncodable where Element: JSONFastEncodable {
    /// A list of fast-writable values (a query's tier history, for one).
    public func writeJSON(to writer: inout JSONWriter) {
        writer.beginArray()
        for element in self { element.writeJSON(to: &writer) }
        writer.endArray()
    }
}

extension Array: JSONFastDecodable where Element: JSONFastDecodable {
    public init(json scanner: inout JSONScanner) throws {
        self = try scanner.list(of: Element.self)
    }
}
