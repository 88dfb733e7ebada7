import Foundation
import Testing

@testable import TierflowPipeline

@Suite("Learned router: dataset lines")
struct RouterDatasetTests {
    @Test func badLinesAreReportedWithTheirNumbers() {
        let text = """
            {"id": "a", "dataset": "d", "prompt": "fine", "scores": {"m1": 1, "m2": 0.5}}

            not json
            {"id": "b", "prompt": "no scores"}
            {"id": "c", "prompt": "out of range", "scores": {"m1": 1.5}}
            {"prompt": "no id", "scores": {"m1": 1}}
            {"id": "a", "prompt": "repeat", "scores": {"m1": 1}}
            {"id": 7, "prompt": "numeric id", "scores": {"m1": 0}, "severity": "critical", "fault_code": "M001"}
            """
        let result = RoutingDatasetReader().parse(Data(text.utf8), file: "x.jsonl")
        #expect(result.examples.map(\.id) == ["a", "7"])
        #expect(result.errors.map(\.line) == [3, 4, 5, 6, 7])
        #expect(result.errors[0].description.hasPrefix("x.jsonl:3: "))
        #expect(result.errors[2].message.contains("m1"))
        #expect(result.errors[4].message.contains("repeats line 1"))
        #expect(result.examples[1].query.severity == "critical" && result.examples[1].query.faultCode == "M001")
        #expect(result.examples[0].scores == ["m1": 1, "m2": 0.5])
    }

    @Test func scoringAcceptsLinesWithoutScores() {
        let text = #"{"id": "q1", "prompt": "what is the flow?"}"# + "\n"
        #expect(RoutingDatasetReader().parse(Data(text.utf8), file: "f").errors.count == 1)
        let result = RoutingDatasetReader(requireScores: false).parse(Data(text.utf8), file: "f")
        #expect(result.errors.isEmpty && result.examples.count == 1)
    }

    @Test func syntheticDataRoundTripsThroughJSONLines() {
        let examples = RouterTestData.examples(count: 20)
        let parsed = RoutingDatasetReader().parse(Data(RouterTestData.jsonLines(examples).utf8), file: "toy")
        #expect(parsed.errors.isEmpty)
        #expect(parsed.examples.map(\.id) == examples.map(\.id))
        #expect(parsed.examples.map(\.scores) == examples.map(\.scores))
    }
}
