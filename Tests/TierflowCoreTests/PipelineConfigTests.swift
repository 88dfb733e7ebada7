import Foundation
import Testing

@testable import TierflowCore

@Suite("pipeline.yaml validation")
struct PipelineConfigTests {
    /// A small valid configuration; tests replace one line to break it.
    static let valid = """
        version: 1
        broker:
          url: ${AMQP_URL:-amqp://u:secret@127.0.0.1:5699/tierflow}
        database:
          url: postgresql://u:pw@127.0.0.1:5499/tierflow
        router:
          critical_start_tier: big
        tiers:
          - name: small
            backend: openai
            endpoint: ${SMALL_ENDPOINT:-}
            model: qwen
            price: {input: 0, output: 0}
          - name: big
            backend: anthropic
            endpoint: https://api.example.test
            model: claude
            api_key: ${BIG_KEY}
            price:
              input: 15
              output: 75
        """

    func parse(_ text: String, environment: [String: String] = ["BIG_KEY": "sk-test-123"]) throws(ConfigError) -> PipelineConfig {
        try PipelineConfig.parse(yaml: text, file: "pipeline.yaml", environment: environment)
    }

    func error(_ text: String, environment: [String: String] = ["BIG_KEY": "sk-test-123"]) -> ConfigError? {
        do {
            _ = try parse(text, environment: environment)
            return nil
        } catch {
            return error
        }
    }

    @Test func validConfigurationParses() throws {
        let config = try parse(Self.valid)
        #expect(config.tiers.map(\.name) == ["small", "big"])
        #expect(config.tiers[0].effectiveBackend == .simulated)
        #expect(config.tiers[1].effectiveBackend == .anthropic)
        #expect(config.tiers[1].price.outputPerMillion == 75)
        #expect(config.tiers[1].apiKey.value == "sk-test-123")
        #expect(config.broker.url.value == "amqp://u:secret@127.0.0.1:5699/tierflow")
        #expect(config.queues.deliveryLimit == 5)
    }

    @Test("a tier worker holds at most twice its max_concurrency; the other stages hold queues.prefetch")
    func tierWorkersPrefetchFollowsTheirConcurrency() throws {
        let defaults = try parse(Self.valid)
        #expect(defaults.queues.prefetch == 256)
        #expect(defaults.queues.prefetch(for: defaults.tiers[0]) == 16, "max_concurrency defaults to 8")
        let text = Self.valid.replacingOccurrences(of: "    model: qwen\n", with: "    model: qwen\n    max_concurrency: 300\n")
            + "\nqueues: {prefetch: 100}\n"
        let config = try parse(text)
        #expect(config.queues.prefetch(for: config.tiers[0]) == 100, "never more than queues.prefetch")
        #expect(config.queues.prefetch(for: config.tiers[1]) == 16)
    }

    @Test func theRepositoryPipelineYAMLIsValid() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../pipeline.yaml").path
        let config = try PipelineConfig.load(path: path, environment: [:])
        #expect(config.tiers.map(\.name) == ["edge", "gpu", "cloud"])
        #expect(config.tiers.allSatisfy { $0.isSimulated })
        let pointed = try PipelineConfig.load(path: path, environment: ["TIERFLOW_GPU_ENDPOINT": "http://127.0.0.1:11434"])
        #expect(pointed.tier(named: "gpu")?.effectiveBackend == .openai)
        #expect(pointed.tier(named: "edge")?.isSimulated == true)
    }

    @Test func textWhereANumberBelongsNamesLineAndKey() throws {
        let text = Self.valid.replacingOccurrences(of: "input: 15", with: "input: cheap")
        let error = try #require(self.error(text))
        #expect(error.code == .wrongType)
        #expect(error.description == "pipeline.yaml:20 tiers[1].price.input: expected a number, got \"cheap\"")
    }

    @Test func missingKeyNamesTheMapping() throws {
        let text = Self.valid.replacingOccurrences(of: "    model: claude\n", with: "")
        let error = try #require(self.error(text))
        #expect(error.code == .missingKey)
        #expect(error.key == "tiers[1]")
        #expect(error.line == 14)
        #expect(error.message.contains("\"model\""))
    }

    @Test func unknownKeySuggestsTheClosest() throws {
        let text = Self.valid.replacingOccurrences(of: "    model: qwen", with: "    modle: qwen")
        let error = try #require(self.error(text))
        #expect(error.code == .unknownKey)
        #expect(error.key == "tiers[0].modle")
        #expect(error.line == 12)
        #expect(error.message.contains("did you mean \"model\""))
    }

    @Test func outOfRangeValue() throws {
        let text = Self.valid.replacingOccurrences(of: "    model: qwen", with: "    model: qwen\n    confidence_threshold: 1.5")
        let error = try #require(self.error(text))
        #expect(error.code == .invalidValue)
        #expect(error.description == "pipeline.yaml:13 tiers[0].confidence_threshold: expected a number from 0.0 to 1.0, got 1.5")
    }

    @Test func badChoice() throws {
        let text = Self.valid.replacingOccurrences(of: "backend: anthropic", with: "backend: antropic")
        let error = try #require(self.error(text))
        #expect(error.code == .invalidValue)
        #expect(error.line == 15)
        #expect(error.key == "tiers[1].backend")
    }

    @Test func missingEnvironmentVariableIsNamedButNotItsValue() throws {
        let error = try #require(self.error(Self.valid, environment: [:]))
        #expect(error.code == .missingEnvironmentVariable)
        #expect(error.key == "tiers[1].api_key")
        #expect(error.line == 18)
        #expect(error.message.contains("BIG_KEY"))
    }

    @Test func interpolationUsesEnvironmentThenDefault() throws {
        let config = try parse(Self.valid, environment: ["BIG_KEY": "k", "AMQP_URL": "amqp://a:b@h:1/v", "SMALL_ENDPOINT": "http://127.0.0.1:9"])
        #expect(config.broker.url.value == "amqp://a:b@h:1/v")
        #expect(config.tiers[0].effectiveBackend == .openai)
    }

    @Test func syntaxErrorHasALine() throws {
        let text = Self.valid.replacingOccurrences(of: "  - name: big", with: "  - name: [big")
        let error = try #require(self.error(text))
        #expect(error.code == .syntax)
        #expect(error.line != nil)
    }

    @Test func duplicateTierAndUnknownFloorAreRefused() throws {
        let duplicate = Self.valid.replacingOccurrences(of: "name: big", with: "name: small")
        let error = try #require(self.error(duplicate))
        #expect(error.message.contains("duplicate tier name"))
        let floor = Self.valid.replacingOccurrences(of: "critical_start_tier: big", with: "critical_start_tier: huge")
        let floorError = try #require(self.error(floor))
        #expect(floorError.key == "router.critical_start_tier")
        #expect(floorError.line == 7)
    }

    @Test func wrongShapeIsNamed() throws {
        let text = Self.valid.replacingOccurrences(of: "tiers:\n", with: "tiers: none\nx_tiers:\n")
        let error = try #require(self.error(text))
        #expect(error.code == .unknownKey || error.code == .wrongType)
    }

    @Test func secretsAreNeverPrinted() throws {
        let config = try parse(Self.valid)
        let printed = "\(config)"
        #expect(!printed.contains("sk-test-123"))
        #expect(!printed.contains("secret@"))
        #expect(config.broker.url.description == "amqp://u:***@127.0.0.1:5699/tierflow")
    }
}
