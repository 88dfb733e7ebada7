/// A problem with a batch's input: the file, its mapping, or one line of it (with the line number).
public struct BatchInputError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of problem.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        init(_ rawValue: String) { self.rawValue = rawValue }

        /// The file cannot be opened or read.
        public static let unreadableFile = Code("unreadable_file")
        /// The mapping names an unknown field or is malformed.
        public static let invalidMapping = Code("invalid_mapping")
        /// A CSV file without a header line.
        public static let missingHeader = Code("missing_header")
        /// A line that is not valid CSV / JSON.
        public static let malformedLine = Code("malformed_line")
        /// A line without a value the query needs, or with an unusable one.
        public static let invalidField = Code("invalid_field")

        public var description: String { rawValue }
    }

    public var code: Code
    /// The file, when the error concerns one.
    public var file: String?
    /// The physical line number (1-based) of the offending line.
    public var line: Int?
    public var message: String

    public init(_ code: Code, _ message: String, file: String? = nil, line: Int? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    /// `file:line: message`, as far as known.
    public var description: String {
        let place = [file, line.map(String.init)].compactMap { $0 }.joined(separator: ":")
        return place.isEmpty ? message : "\(place): \(message)"
    }
}
