import Testing

@testable import TierflowCore

@Suite("Layer 0 configuration")
struct Layer0ConfigTests {
    static let base = """
        broker: {url: "amqp://u:p@h:1/v"}
        database: {url: "postgresql://u:p@h:1/d"}
        tiers:
          - {name: edge, backend: simulated, model: m, price: {input: 0, output: 0}}
        """

    @Test func defaultsAndCacheKeys() throws {
        let defaults = try PipelineConfig.parse(yaml: Self.base).layer0
        #expect(defaults.similarityThreshold == 0.6)
        #expect(defaults.cache.enabled)
        #expect(defaults.cache.minConfidence == 0.85)
        #expect(!defaults.cache.allowSimulated)
        let yaml = Self.base + """

            layer0:
              similarity_threshold: 0.7
              ambiguity_margin: 0.1
              reload_seconds: 60
              cache: {enabled: false, min_confidence: 0.9, ttl_seconds: 3600, allow_simulated: true}
            """
        let layer0 = try PipelineConfig.parse(yaml: yaml).layer0
        #expect(layer0.similarityThreshold == 0.7)
        #expect(layer0.ambiguityMargin == 0.1)
        #expect(layer0.reloadSeconds == 60)
        #expect(!layer0.cache.enabled)
        #expect(layer0.cache.minConfidence == 0.9)
        #expect(layer0.cache.ttlSeconds == 3600)
        #expect(layer0.cache.allowSimulated)
    }

    @Test func badCacheValuesNameTheKey() {
        let yaml = Self.base + "\nlayer0: {cache: {min_confidence: 2}}\n"
        #expect(throws: ConfigError.self) { try PipelineConfig.parse(yaml: yaml, file: "p.yaml") }
        do {
            _ = try PipelineConfig.parse(yaml: yaml, file: "p.yaml")
        } catch {
            #expect("\(error)".contains("layer0.cache.min_confidence"))
        }
        #expect(throws: ConfigError.self) { try PipelineConfig.parse(yaml: Self.base + "\nlayer0: {cache: {ttl: 5}}\n") }
    }
}
