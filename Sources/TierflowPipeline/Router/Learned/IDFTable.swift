import Foundation

/// Inverse document frequencies of the hashed features, learned from the training queries:
/// `idf = ln((1 + n) / (1 + df)) + 1`, as in TF-IDF. Stored as one byte per position (steps of 1/20),
/// so the in-memory values are exactly what a saved model reloads.
public struct IDFTable: Sendable, Hashable {
    /// One weight per hash position.
    public let values: [Float]
    let bytes: [UInt8]

    static let step: Float = 0.05

    /// The table for documents whose feature positions are `documents` (each position counted once per document).
    public init(dimension: Int, documents: [[Int32]]) {
        var frequency = [Int32](repeating: 0, count: dimension)
        var lastSeen = [Int32](repeating: -1, count: dimension)
        for (document, indices) in documents.enumerated() {
            for index in indices where index >= 0 && Int(index) < dimension && lastSeen[Int(index)] != Int32(document) {
                lastSeen[Int(index)] = Int32(document)
                frequency[Int(index)] += 1
            }
        }
        let n = Float(documents.count)
        self.init(bytes: frequency.map { df in
            let idf = log((1 + n) / (1 + Float(df))) + 1
            return UInt8(max(0, min(255, ((idf - 1) / Self.step).rounded())))
        })
    }

    init(bytes: [UInt8]) {
        self.bytes = bytes
        values = bytes.map { 1 + Float($0) * Self.step }
    }
}

extension IDFTable: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let data = Data(base64Encoded: try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "idf: not base64")
        }
        self.init(bytes: [UInt8](data))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Data(bytes).base64EncodedString())
    }
}
