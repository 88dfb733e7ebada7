import Foundation
import TierflowCore

/// Shared test configuration: three tiers like the default pipeline, all simulated.
enum Fixtures {
    static let yaml = """
        broker: {url: "amqp://u:p@127.0.0.1:5699/tierflow"}
        database: {url: "postgresql://u:p@127.0.0.1:5499/tierflow"}
        router: {quality_target: 0.75, daily_budget_usd: 10, critical_start_tier: gpu}
        evaluator: {max_cost_per_query_usd: 0.05}
        tiers:
          - {name: edge, backend: openai, model: small, price: {input: 0, output: 0}, confidence_threshold: 0.7, simulated: {skill: 0.6}}
          - {name: gpu, backend: openai, model: big, price: {input: 0.6, output: 0.8}, confidence_threshold: 0.65, simulated: {skill: 0.85}}
          - {name: cloud, backend: anthropic, model: frontier, price: {input: 15, output: 75}, confidence_threshold: 0, simulated: {skill: 0.97}}
        """

    static let config: PipelineConfig = try! PipelineConfig.parse(yaml: yaml)

    static func event(
        id: String = "e1", code: String? = "M001", severity: FaultEvent.Severity = .medium, asset: String = "P-101",
        assetClass: String? = "pump", tag: String? = "FIR123", timestamp: String? = "2026-11-23T10:00:05Z",
        message: String = "FLW COND CW HIGH ALM"
    ) -> FaultEvent {
        FaultEvent(
            eventId: id, site: "plant-a", line: "L1", asset: asset, assetClass: assetClass, tag: tag, alarmType: "H",
            faultCode: code, severity: severity, message: message, values: ["flow": 12.5], timestamp: timestamp)
    }

    static func envelope(_ payload: QueryPayload, deadline: Date? = nil) -> QueryEnvelope {
        QueryEnvelope(id: "q-test", source: .scada, receivedAt: Date(), deadline: deadline, payload: payload)
    }

    static func json(_ value: some Encodable) -> [UInt8] {
        EnvelopeCodec().encode(value)
    }
}
