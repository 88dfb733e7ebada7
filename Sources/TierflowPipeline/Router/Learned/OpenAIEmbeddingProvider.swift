import Foundation
import TierflowHTTP

/// Features from an OpenAI-compatible embeddings endpoint (OpenAI, Ollama, vLLM, TEI, LiteLLM):
/// `POST {endpoint}/v1/embeddings` with `{"model", "input": [texts]}`, vectors scaled to unit length.
///
/// The first featuriser behind ``QueryFeaturizer`` that is not local. The API key is read from the
/// environment variable named in ``Options/apiKeyEnvironment`` when a request is made; it is never
/// stored with a model.
public struct OpenAIEmbeddingProvider: QueryFeaturizer {
    /// Where the embeddings come from; stored with a model.
    public struct Options: Codable, Sendable, Hashable {
        /// The server's base URL, with or without a trailing `/v1`.
        public var endpoint: String
        /// The embedding model's name on that server.
        public var model: String
        /// The vector length the model returns.
        public var dimension: Int
        /// The environment variable holding a bearer token, if the server needs one.
        public var apiKeyEnvironment: String?
        /// Longest time for one request.
        public var timeoutSeconds: Double

        public init(endpoint: String, model: String, dimension: Int, apiKeyEnvironment: String? = nil, timeoutSeconds: Double = 30) {
            self.endpoint = endpoint
            self.model = model
            self.dimension = dimension
            self.apiKeyEnvironment = apiKeyEnvironment
            self.timeoutSeconds = timeoutSeconds
        }

        enum CodingKeys: String, CodingKey {
            case endpoint, model, dimension, apiKeyEnvironment = "api_key_env", timeoutSeconds = "timeout_seconds"
        }
    }

    public let options: Options
    private let client: HTTPClient

    /// A provider that sends its requests through `client`.
    public init(options: Options, client: HTTPClient) {
        self.options = options
        self.client = client
    }

    public var spec: FeaturizerSpec { .embedding(options) }
    public var dimension: Int { options.dimension }

    /// `{endpoint}/v1/embeddings`, without doubling a `/v1` the endpoint already ends with.
    public var url: String {
        var base = options.endpoint
        while base.hasSuffix("/") { base.removeLast() }
        if !base.hasSuffix("/v1") { base += "/v1" }
        return base + "/embeddings"
    }

    public func features(of queries: [RouterQuery]) async throws -> [FeatureVector] {
        try await embed(queries.map(\.text)).map { FeatureVector(dense: $0) }
    }

    /// Unit-length embeddings of `texts`, in order.
    public func embed(_ texts: [String]) async throws -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        var headers: HTTPHeaders = ["Content-Type": "application/json", "Accept": "application/json"]
        if let name = options.apiKeyEnvironment, let key = ProcessInfo.processInfo.environment[name], !key.isEmpty {
            headers.add(name: "Authorization", value: "Bearer \(key)")
        }
        let body = try JSONEncoder().encode(EmbeddingRequest(model: options.model, input: texts))
        let timeout = Duration.milliseconds(Int64(options.timeoutSeconds * 1000))
        let response: HTTPResponse
        do {
            response = try await client.execute(
                HTTPRequest(method: .post, url: url, headers: headers, body: Array(body), timeout: timeout))
        } catch let error as HTTPClientError {
            throw LearnedRouterError(.embeddingFailed, "\(url): \(error.message)")
        }
        guard response.isSuccess else {
            throw LearnedRouterError(
                .embeddingFailed, "\(url) answered \(response.status): \(String(decoding: response.body.prefix(200), as: UTF8.self))")
        }
        let decoded: EmbeddingResponse
        do {
            decoded = try JSONDecoder().decode(EmbeddingResponse.self, from: Data(response.body))
        } catch {
            throw LearnedRouterError(.embeddingFailed, "\(url): the response is not an embeddings list (\(error))")
        }
        var vectors = [[Float]?](repeating: nil, count: texts.count)
        for (position, item) in decoded.data.enumerated() {
            let slot = item.index ?? position
            guard vectors.indices.contains(slot) else { continue }
            guard item.embedding.count == options.dimension else {
                throw LearnedRouterError(
                    .embeddingFailed, "\(url): expected \(options.dimension) dimensions, got \(item.embedding.count)")
            }
            var norm: Float = 0
            for value in item.embedding { norm += value * value }
            norm = norm.squareRoot()
            vectors[slot] = norm > 0 ? item.embedding.map { $0 / norm } : item.embedding
        }
        guard vectors.allSatisfy({ $0 != nil }) else {
            throw LearnedRouterError(.embeddingFailed, "\(url): \(decoded.data.count) embeddings for \(texts.count) inputs")
        }
        return vectors.map { $0! }
    }

    struct EmbeddingRequest: Encodable {
        var model: String
        var input: [String]
    }

    struct EmbeddingResponse: Decodable {
        struct Item: Decodable {
            var embedding: [Float]
            var index: Int?
        }
        var data: [Item]
    }
}
