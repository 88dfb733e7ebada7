import Testing

@testable import TierflowCore
@testable import TierflowServices

@Suite("Evaluator cache write-back follows Layer 0")
struct EvaluatorCachePolicyTests {
    static func config(layer0: String) throws -> PipelineConfig {
        try PipelineConfig.parse(yaml: """
            broker: {url: "amqp://u:p@127.0.0.1:5699/x"}
            database: {url: "postgresql://u:p@127.0.0.1:5499/x"}
            layer0: \(layer0)
            tiers:
              - {name: edge, backend: openai, model: s, price: {input: 0, output: 0}}
            """)
    }

    @Test func layer0OffMeansNoCacheWrites() throws {
        #expect(EvaluatorStage(config: try Self.config(layer0: "{enabled: false}")).cachePolicy.enabled == false)
        #expect(EvaluatorStage(config: try Self.config(layer0: "{enabled: true}")).cachePolicy.enabled == true)
        #expect(EvaluatorStage(config: try Self.config(layer0: "{enabled: true, cache: {enabled: false}}")).cachePolicy.enabled == false)
    }
}
