/// Why `tierflow status` could not read a figure.
public struct StatusError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// `ops.management_url` is not a usable URL.
        public static let invalidURL = Code("invalid_url")
        /// The management API refused or gave an unreadable answer.
        public static let managementAPI = Code("management_api")

        public var description: String { name }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
