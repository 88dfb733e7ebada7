import struct Foundation.Date

/// `"name": value` pairs, as `Codable`'s `encodeIfPresent` writes them: nothing at all when the value is nil.
extension JSONWriter {
    /// `"name": value`, or nothing when `value` is nil (as `Codable`'s `encodeIfPresent`).
    public mutating func field(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    /// `"name": value`, or nothing when `value` is nil.
    public mutating func field(_ name: StaticString, _ value: Int?) {
        guard let value else { return }
        key(name)
        int(value)
    }

    /// `"name": value`, or nothing when `value` is nil.
    public mutating func field(_ name: StaticString, _ value: Double?) {
        guard let value else { return }
        key(name)
        double(value)
    }

    /// `"name": value`, or nothing when `value` is nil.
    public mutating func field(_ name: StaticString, _ value: Bool?) {
        guard let value else { return }
        key(name)
        bool(value)
    }

    /// `"name": value`, or nothing when `value` is nil.
    public mutating func field(_ name: StaticString, _ value: (some JSONFastEncodable)?) {
        guard let value else { return }
        key(name)
        value.writeJSON(to: &self)
    }

    /// `"name": [values…]`, or nothing when `values` is nil.
    public mutating func field(_ name: StaticString, _ values: [some JSONFastEncodable]?) {
        guard let values else { return }
        key(name)
        beginArray()
        for value in values { value.writeJSON(to: &self) }
        endArray()
    }

    /// `"name": ["text", …]`, or nothing when `values` is nil.
    public mutating func field(_ name: StaticString, _ values: [String]?) {
        guard let values else { return }
        key(name)
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    /// `"name": {"key": number, …}`, or nothing when `values` is nil.
    public mutating func field(_ name: StaticString, _ values: [String: Double]?) {
        guard let values else { return }
        key(name)
        beginObject()
        for (key, value) in values {
            self.key(key)
            double(value)
        }
        endObject()
    }

    /// `"name": "2026-11-23T17:48:35.123Z"`, or nothing when `value` is nil.
    public mutating func field(_ name: StaticString, _ value: Date?) {
        guard let value else { return }
        key(name)
        date(value)
    }
}
