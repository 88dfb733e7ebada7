/// Why a message was refused: it goes to the dead-letter queue with this reason.
public struct MessageRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of problem, stable for metrics and the `x-tierflow-reason-code` header.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case tooLarge = "too_large"
            case nulByte = "nul_byte"
            case invalidUTF8 = "invalid_utf8"
            case notJSON = "not_json"
            case unknownSchema = "unknown_schema"
            case invalidField = "invalid_field"
            case deliveryLimit = "delivery_limit"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Larger than `queues.max_message_bytes`.
        public static let tooLarge = Code(.tooLarge)
        /// Holds a NUL byte, raw or escaped as `\u0000`.
        public static let nulByte = Code(.nulByte)
        /// Not valid UTF-8.
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// Not a JSON document.
        public static let notJSON = Code(.notJSON)
        /// A schema version this build does not read.
        public static let unknownSchema = Code(.unknownSchema)
        /// A field is missing or has the wrong type or value.
        public static let invalidField = Code(.invalidField)
        /// Delivered too often without being settled (a crash loop).
        public static let deliveryLimit = Code(.deliveryLimit)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// What was wrong, for a person reading the dead-letter record.
    public var reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code): \(reason)" }
}
