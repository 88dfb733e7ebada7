/// Why a learned-router operation failed: a code to match on and a message for people.
public struct LearnedRouterError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable {
        /// A dataset file is missing, unreadable or has bad lines.
        case badDataset = "bad_dataset"
        /// A model file or row does not decode, or its format version is unknown.
        case badModel = "bad_model"
        /// Training cannot start: no labels, unknown models, invalid options.
        case badTraining = "bad_training"
        /// The embeddings endpoint failed or answered something unusable.
        case embeddingFailed = "embedding_failed"
        /// The model and the data (or pipeline) do not fit together.
        case mismatch
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
