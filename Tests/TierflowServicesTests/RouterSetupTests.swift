import Foundation
import Logging
import Testing

@testable import TierflowCore
@testable import TierflowPipeline
@testable import TierflowServices

@Suite("Router scorer set-up and the shipped default model")
struct RouterSetupTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let defaultModel = repository.appendingPathComponent("models/router-default.json").path

    static func config(_ router: String) throws -> PipelineConfig {
        try PipelineConfig.parse(yaml: """
            broker: {url: "amqp://u:p@127.0.0.1:5699/x"}
            database: {url: "postgresql://u:p@127.0.0.1:5499/x"}
            router: \(router)
            tiers:
              - {name: edge, backend: openai, model: s, price: {input: 0, output: 0}}
              - {name: gpu, backend: openai, model: m, price: {input: 0.6, output: 0.8}}
              - {name: cloud, backend: anthropic, model: l, price: {input: 15, output: 75}}
            """)
    }

    let logger = Logger(label: "tierflow.router.test")

    @Test func transparentKindUsesTheRules() throws {
        let setup = LearnedRouterSetup.scorer(config: try Self.config("{kind: transparent}"), logger: logger)
        #expect(setup.scorer.name == "transparent")
        #expect(setup.services.isEmpty)
    }

    @Test func learnedKindStartsFromTheModelFileAndReloads() throws {
        let setup = LearnedRouterSetup.scorer(config: try Self.config("{kind: learned, model: \"\(Self.defaultModel)\"}"), logger: logger)
        #expect(setup.scorer.name == "learned-file:router-default")
        #expect(setup.services.count == 1)
        let missing = LearnedRouterSetup.scorer(config: try Self.config("{kind: learned, model: /nonexistent.json}"), logger: logger)
        #expect(missing.scorer.name == "transparent")  // falls back rather than refusing to route
    }

    @Test func theShippedDefaultModelRoutesTheDemoTiers() throws {
        let model = try RouterModel.load(path: Self.defaultModel)
        #expect(model.models == ["Meta-Llama-3_1-8B-Instruct", "Meta-Llama-3_1-70B-Instruct", "gpt4o"])
        #expect(model.heads.contains("gpt-4-1106-preview") && model.heads.contains("mixtral-8x7b-instruct-v0.1"))
        #expect(Set(model.calibration?.offsets.keys.map { $0 } ?? []) == ["edge", "gpu", "cloud"])
        let size = try FileManager.default.attributesOfItem(atPath: Self.defaultModel)[.size] as? Int ?? 0
        #expect(size < 400_000)
        let scorer = try LearnedScorer(model: model)
        let tiers = try Self.config("{kind: learned}").tiers
        let event = FaultEvent(
            eventId: "e", site: "s", asset: "P-1", assetClass: "pump", tag: "PIR101", alarmType: "L", faultCode: "M001",
            severity: .high, message: "PUMP DISCH PRESS LOW ALM")
        let easy = scorer.estimates(for: QueryEnvelope(id: "q", source: .scada, receivedAt: Date(), payload: .faultEvent(event)), tiers: tiers)
        #expect(easy.count == 3 && easy.allSatisfy { (0...1).contains($0) })
        let hard = scorer.estimates(
            for: QueryEnvelope(
                id: "q2", source: .chat, receivedAt: Date(),
                payload: .chat(ChatRequest(messages: [.init(role: "user", content: "Let f be a continuous function on [0,1] with ∫f = 0. Prove that there is a c with f(c) = ∫_0^c f(t) dt, and find all such c for f(x) = 2x − 1.")]))),
            tiers: tiers)
        #expect(hard[0] < easy[0])
    }
}
