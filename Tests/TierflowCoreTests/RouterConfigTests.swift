import Testing

@testable import TierflowCore

@Suite("router section of pipeline.yaml")
struct RouterConfigTests {
    static func yaml(_ router: String) -> String {
        """
        broker: {url: "amqp://u:p@127.0.0.1:5699/tierflow"}
        database: {url: "postgresql://u:p@127.0.0.1:5499/tierflow"}
        router: \(router)
        tiers:
          - {name: edge, backend: openai, model: small, price: {input: 0, output: 0}}
        """
    }

    @Test func learnedRouterKeysHaveDefaults() throws {
        let config = try PipelineConfig.parse(yaml: Self.yaml("{kind: learned}"), file: "p.yaml")
        #expect(config.router.kind == "learned")
        #expect(config.router.model == "models/router-default.json")
        #expect(config.router.reloadSeconds == 5)
        let custom = try PipelineConfig.parse(yaml: Self.yaml("{kind: learned, model: m.json, reload_seconds: 0.5}"), file: "p.yaml")
        #expect(custom.router.model == "m.json" && custom.router.reloadSeconds == 0.5)
    }

    @Test func badReloadIntervalAndKindNameTheKey() throws {
        #expect(throws: ConfigError.self) { try PipelineConfig.parse(yaml: Self.yaml("{reload_seconds: 0}"), file: "p.yaml") }
        do {
            _ = try PipelineConfig.parse(yaml: Self.yaml("{kind: neural}"), file: "p.yaml")
            Issue.record("an unknown router kind was accepted")
        } catch {
            #expect(error.description.contains("router.kind"))
        }
    }
}
