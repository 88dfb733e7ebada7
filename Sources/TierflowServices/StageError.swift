/// A stage could not complete a hop for a reason outside the message itself.
public struct StageError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case publishRefused = "publish_refused"
            case configuration
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The broker nacked a publish again and again.
        public static let publishRefused = Code(.publishRefused)
        /// The stage cannot run with this configuration (e.g. an unknown tier name).
        public static let configuration = Code(.configuration)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
