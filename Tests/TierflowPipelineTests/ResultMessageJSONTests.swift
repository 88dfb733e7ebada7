import Foundation
import Testing
import TierflowCore

@testable import TierflowPipeline

@Suite("Result message JSON")
struct ResultMessageJSONTests {
    static let results = [
        ResultMessage(
            queryId: "q-1", source: .scada, layer: 2, tier: "gpu", model: "llama-70b", answer: "Check the \"seal\"\nthen restart.",
            confidence: 0.8125, lowConfidence: false, endedBy: "accepted", escalations: 1, costUSD: 0.000123, latencyMilliseconds: 41.5,
            simulated: true, site: "plant-1", asset: "P-101", linkedEvents: ["e1", "e2"],
            history: [TierAttempt(tier: "edge", model: "m", answer: "?", confidence: 0.2, decision: "escalated", simulated: true)]),
        ResultMessage(
            queryId: "q-2", source: .chat, layer: 0, tier: nil, model: nil, answer: "ünïcødé ✓", confidence: nil, lowConfidence: true,
            endedBy: "layer0", escalations: 0, costUSD: 0, latencyMilliseconds: 0, simulated: false, site: nil, asset: nil,
            linkedEvents: nil, history: []),
    ]

    @Test(arguments: results)
    func fastAndFoundationAgree(_ result: ResultMessage) throws {
        let fast = try #require(result.fastEncoded())
        let foundation = try JSONEncoder().encode(result)
        #expect(try JSONDecoder().decode(ResultMessage.self, from: Data(fast)) == result)
        #expect(ResultMessage.fastDecoded(from: [UInt8](foundation)) == result)
        #expect(ResultMessage.fastDecoded(from: fast) == result)
        #expect(try EnvelopeCodec().decode(ResultMessage.self, from: EnvelopeCodec().encode(result)) == result)
    }

    @Test func numberObjectsUseTheFastPathToo() throws {
        let signals: [String: Double] = ["length": 0.5, "hedging": -1, "refusal": 0]
        let bytes = EnvelopeCodec().encode(signals)
        #expect(try JSONDecoder().decode([String: Double].self, from: Data(bytes)) == signals)
        #expect([String: Double].fastDecoded(from: bytes) == signals)
    }

    /// Topic-routing keys: the characters AMQP topic patterns treat specially (and spaces) become `_`, in ASCII
    /// and in other text alike; a missing site or asset is `-`.
    @Test func routingKeyEscapesTopicCharacters() {
        func key(site: String?, asset: String?) -> String {
            ResultMessage(
                queryId: "q", source: .scada, layer: 0, tier: nil, model: nil, answer: "a", confidence: nil,
                lowConfidence: false, endedBy: "accepted", escalations: 0, costUSD: 0, latencyMilliseconds: 0,
                simulated: false, site: site, asset: asset, linkedEvents: nil, history: []
            ).routingKey
        }
        #expect(key(site: "plant.a", asset: "P-101 #2*") == "result.scada.plant_a.P-101__2_")
        #expect(key(site: "Werk Süd.3", asset: "Kessel#1") == "result.scada.Werk_Süd_3.Kessel_1")
        #expect(key(site: nil, asset: "") == "result.scada.-.-")
    }
}
