import Foundation

/// A model's weight matrix (feature-major: row = feature position, column = head) and its stored form.
///
/// `float32` keeps every bit; `int8` stores each column as signed bytes with one scale per column and
/// drops rows that quantise to all zeros (a bitmap marks the rows kept), which keeps a default model to a
/// few hundred kilobytes.
/// The in-memory ``values`` are always exactly what decoding the stored form gives, so a model scores
/// identically before saving and after loading.
public struct PackedWeights: Sendable, Hashable {
    /// How the matrix is stored.
    public enum Encoding: String, Codable, Sendable, Hashable, CaseIterable {
        case float32, int8
    }

    public let rows: Int
    public let columns: Int
    public let encoding: Encoding
    /// `rows × columns` values, row-major.
    public let values: [Float]
    /// Per-column scales (int8 only).
    let scales: [Float]

    /// Packs `values` (`rows × columns`, row-major) with `encoding`, rounding them as the stored form will.
    public init(rows: Int, columns: Int, values: [Float], encoding: Encoding) {
        precondition(values.count == rows * columns, "rows × columns values")
        self.rows = rows
        self.columns = columns
        self.encoding = encoding
        switch encoding {
        case .float32:
            self.values = values
            scales = []
        case .int8:
            var scales = [Float](repeating: 0, count: columns)
            for row in 0..<rows {
                for column in 0..<columns { scales[column] = max(scales[column], abs(values[row * columns + column])) }
            }
            scales = scales.map { $0 > 0 ? $0 / 127 : 1 }
            self.scales = scales
            self.values = values.indices.map { index in
                Float(Self.quantise(values[index], scale: scales[index % columns])) * scales[index % columns]
            }
        }
    }

    @inline(__always)
    static func quantise(_ value: Float, scale: Float) -> Int8 {
        Int8(max(-127, min(127, (value / scale).rounded())))
    }
}

extension PackedWeights: Codable {
    enum CodingKeys: String, CodingKey {
        case rows, columns, encoding, scales, kept, data
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rows, forKey: .rows)
        try container.encode(columns, forKey: .columns)
        try container.encode(encoding, forKey: .encoding)
        switch encoding {
        case .float32:
            var bytes = [UInt8]()
            bytes.reserveCapacity(values.count * 4)
            for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            try container.encode(Data(bytes).base64EncodedString(), forKey: .data)
        case .int8:
            try container.encode(scales, forKey: .scales)
            var kept = [UInt8](repeating: 0, count: (rows + 7) / 8)
            var data = [UInt8]()
            for row in 0..<rows {
                let quantised = (0..<columns).map { Self.quantise(values[row * columns + $0], scale: scales[$0]) }
                guard quantised.contains(where: { $0 != 0 }) else { continue }
                kept[row / 8] |= 1 << UInt8(row % 8)
                data.append(contentsOf: quantised.map { UInt8(bitPattern: $0) })
            }
            try container.encode(Data(kept).base64EncodedString(), forKey: .kept)
            try container.encode(Data(data).base64EncodedString(), forKey: .data)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        rows = try container.decode(Int.self, forKey: .rows)
        columns = try container.decode(Int.self, forKey: .columns)
        encoding = try container.decode(Encoding.self, forKey: .encoding)
        guard rows > 0, columns > 0, rows <= 1 << 24, columns <= 4096 else {
            throw DecodingError.dataCorruptedError(forKey: .rows, in: container, debugDescription: "bad shape \(rows)×\(columns)")
        }
        func base64(_ key: CodingKeys) throws -> [UInt8] {
            guard let data = Data(base64Encoded: try container.decode(String.self, forKey: key)) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not base64")
            }
            return [UInt8](data)
        }
        let data = try base64(.data)
        switch encoding {
        case .float32:
            guard data.count == rows * columns * 4 else {
                throw DecodingError.dataCorruptedError(forKey: .data, in: container, debugDescription: "expected \(rows * columns * 4) bytes, got \(data.count)")
            }
            values = (0..<(rows * columns)).map { index in
                let offset = index * 4
                let bits = UInt32(data[offset]) | UInt32(data[offset + 1]) << 8 | UInt32(data[offset + 2]) << 16 | UInt32(data[offset + 3]) << 24
                return Float(bitPattern: bits)
            }
            scales = []
        case .int8:
            scales = try container.decode([Float].self, forKey: .scales)
            guard scales.count == columns else {
                throw DecodingError.dataCorruptedError(forKey: .scales, in: container, debugDescription: "one scale per column")
            }
            var values = [Float](repeating: 0, count: rows * columns)
            let kept = try base64(.kept)
            guard kept.count == (rows + 7) / 8 else {
                throw DecodingError.dataCorruptedError(forKey: .kept, in: container, debugDescription: "one bit per row")
            }
            var offset = 0
            for row in 0..<rows where kept[row / 8] & (1 << UInt8(row % 8)) != 0 {
                guard offset + columns <= data.count else {
                    throw DecodingError.dataCorruptedError(forKey: .data, in: container, debugDescription: "fewer values than kept rows")
                }
                for column in 0..<columns {
                    values[row * columns + column] = Float(Int8(bitPattern: data[offset + column])) * scales[column]
                }
                offset += columns
            }
            guard offset == data.count else {
                throw DecodingError.dataCorruptedError(forKey: .data, in: container, debugDescription: "more values than kept rows")
            }
            self.values = values
        }
    }
}
