import Foundation
import Testing

@testable import TierflowPipeline

@Suite("Learned router: the OpenAI-compatible embeddings provider", .llmTestServer)
struct RouterEmbeddingTests {
    let server: LLMTestServer

    init() throws {
        server = try #require(LLMTestServer.current)
    }

    func provider(_ script: String, dimension: Int = 3, key: String? = nil) -> OpenAIEmbeddingProvider {
        OpenAIEmbeddingProvider(
            options: .init(endpoint: server.endpoint(script), model: "nomic-embed-text", dimension: dimension, apiKeyEnvironment: key),
            client: server.client)
    }

    @Test func postsTheTextsAndReturnsUnitVectorsInInputOrder() async throws {
        try await server.script("emb-ok", [.json(#"""
            {"object": "list", "model": "nomic-embed-text",
             "data": [{"object": "embedding", "index": 1, "embedding": [0, 3, 4]},
                      {"object": "embedding", "index": 0, "embedding": [2, 0, 0]}]}
            """#)])
        let vectors = try await provider("emb-ok", key: "HOME").features(of: [RouterQuery(text: "pump trips"), RouterQuery(text: "valve sticks")])
        #expect(vectors.map(\.values) == [[1, 0, 0], [0, 0.6, 0.8]])
        #expect(vectors[0].indices == [0, 1, 2])
        let request = try #require(try await server.recorded("emb-ok").requests.first)
        #expect(request.method == "POST" && request.path == "/s/emb-ok/v1/embeddings")
        let body = try request.json()
        #expect(body["model"] as? String == "nomic-embed-text")
        #expect(body["input"] as? [String] == ["pump trips", "valve sticks"])
        #expect(request.headers["authorization"]?.hasPrefix("Bearer ") == true)
    }

    @Test func failuresAndWrongShapesAreErrors() async throws {
        try await server.script("emb-bad", [
            .error(500, "model not loaded"),
            .json(#"{"data": [{"index": 0, "embedding": [1, 2]}]}"#),
            .json(#"{"data": []}"#),
            .json("not json"),
        ])
        let embeddings = provider("emb-bad")
        for expected in ["500", "expected 3 dimensions", "0 embeddings for 1", "not an embeddings list"] {
            do {
                _ = try await embeddings.embed(["x"])
                Issue.record("no error for \(expected)")
            } catch let error as LearnedRouterError {
                #expect(error.code == .embeddingFailed)
                #expect(error.message.contains(expected))
            }
        }
    }

    @Test func endpointsWithOrWithoutV1GiveTheSameURL() {
        let client = server.client
        let plain = OpenAIEmbeddingProvider(options: .init(endpoint: "http://h:11434/", model: "m", dimension: 2), client: client)
        let v1 = OpenAIEmbeddingProvider(options: .init(endpoint: "http://h:11434/v1", model: "m", dimension: 2), client: client)
        #expect(plain.url == "http://h:11434/v1/embeddings" && v1.url == plain.url)
        #expect(plain.spec.kind == "embedding" && plain.spec.dimension == 2)
    }
}
