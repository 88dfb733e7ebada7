/// Turns router queries into feature vectors for the success model.
///
/// ``HashedFeaturizer`` runs in-process with no network; ``OpenAIEmbeddingProvider`` asks an
/// OpenAI-compatible `/v1/embeddings` endpoint. A model stores its featuriser's ``spec`` so that
/// scoring always uses the features it was trained on.
public protocol QueryFeaturizer: Sendable {
    /// How to rebuild this featuriser.
    var spec: FeaturizerSpec { get }
    /// The length of the vectors: the hash space or the embedding size.
    var dimension: Int { get }
    /// Features of a batch of queries, in order (a remote provider sends them in one request).
    func features(of queries: [RouterQuery]) async throws -> [FeatureVector]
}

/// A featuriser that runs in-process without I/O, fast enough for every live query.
public protocol LocalQueryFeaturizer: QueryFeaturizer {
    /// Features of one query.
    func features(of query: RouterQuery) -> FeatureVector
}

extension LocalQueryFeaturizer {
    public func features(of queries: [RouterQuery]) async throws -> [FeatureVector] {
        queries.map { features(of: $0) }
    }
}

/// How a model's features were made: enough to rebuild the featuriser when the model is loaded.
public struct FeaturizerSpec: Codable, Sendable, Hashable {
    /// `hashed` or `embedding`.
    public var kind: String
    /// The hashed featuriser's settings (kind `hashed`).
    public var hashed: HashedFeaturizer.Options?
    /// The embedding endpoint's settings (kind `embedding`).
    public var embedding: OpenAIEmbeddingProvider.Options?
    /// Inverse document frequencies learned with a hashed featuriser, if it weighs by them.
    public var idf: IDFTable?

    /// The spec of a hashed featuriser.
    public static func hashed(_ options: HashedFeaturizer.Options, idf: IDFTable? = nil) -> FeaturizerSpec {
        FeaturizerSpec(kind: "hashed", hashed: options, embedding: nil, idf: idf)
    }

    /// The spec of an embedding provider.
    public static func embedding(_ options: OpenAIEmbeddingProvider.Options) -> FeaturizerSpec {
        FeaturizerSpec(kind: "embedding", hashed: nil, embedding: options, idf: nil)
    }

    /// The vector length this spec produces.
    public var dimension: Int {
        if let hashed { return 1 << hashed.hashBits }
        return embedding?.dimension ?? 0
    }
}
