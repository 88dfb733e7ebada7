import Foundation
import Testing
import TierflowCore
import TierflowPipeline

@testable import TierflowGateway

/// The gateway's OpenAI bodies on the fast JSON path read and write what `JSONDecoder`/`JSONEncoder` do.
@Suite("OpenAI bodies, fast path")
struct OpenAIFastJSONTests {
    static let completions = [
        OpenAIChatCompletion(result: sampleResult(), policy: RoutingPolicy(name: "tierflow", qualityTarget: nil)),
        OpenAIChatCompletion(result: sampleResult(layer: 0, simulated: false), policy: RoutingPolicy(name: "router-mf-0.25", qualityTarget: 0.75)),
        OpenAIChatCompletion(result: sampleResult(answer: "Quote \" slash / tab \t ünï ✓"), policy: RoutingPolicy(name: "tierflow-quality", qualityTarget: 0.9)),
    ]

    @Test(arguments: completions)
    func completionsReadTheSameEitherWay(_ completion: OpenAIChatCompletion) throws {
        let fastBytes = try #require(completion.fastEncoded())
        let foundationBytes = [UInt8](try JSONEncoder().encode(completion))
        #expect(try JSONDecoder().decode(OpenAIChatCompletion.self, from: Data(fastBytes)) == completion)
        #expect(OpenAIChatCompletion.fastDecoded(from: foundationBytes) == completion)
        #expect(OpenAIChatCompletion.fastDecoded(from: fastBytes) == completion)
        let fastObject = try JSONSerialization.jsonObject(with: Data(fastBytes)) as? NSDictionary
        let foundationObject = try JSONSerialization.jsonObject(with: Data(foundationBytes)) as? NSDictionary
        #expect(fastObject != nil && fastObject == foundationObject, "the same document, key order aside")
    }

    @Test(arguments: [
        #"{"model": "tierflow", "messages": [{"role": "user", "content": "Why does P-101 trip?"}]}"#,
        #"{"model": null, "stream": true, "stream_options": {"include_usage": null}, "max_tokens": 99, "max_completion_tokens": null, "temperature": 0.2, "user": "op-7", "n": 1, "messages": [{"role": "system", "content": "Be brief."}, {"role": "assistant", "content": null, "tool_calls": []}, {"role": "user", "content": [{"type": "text", "text": "Why"}, {"type": "text", "text": "does it trip?"}]}], "unknown": {"nested": [1, 2]}}"#,
        #"{"messages": [], "stream": null, "stream_options": null}"#,
    ])
    func requestsReadTheSameEitherWay(_ body: String) throws {
        let fast = try #require(OpenAIChatRequest.fastDecoded(from: Array(body.utf8)))
        #expect(fast == (try JSONDecoder().decode(OpenAIChatRequest.self, from: Data(body.utf8))))
    }

    @Test(arguments: [
        #"{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}"#,
        #"{"messages": [{"role": "user", "content": [{"type": "text"}]}]}"#,
        #"{"messages": [{"role": "user"}]}"#,
        #"{"messages": [{"role": "user", "content": "x"}], "stream": "yes"}"#,
        #"{"model": "tierflow"}"#,
    ])
    func requestsTheFastPathRefusesAreLeftToJSONDecoder(_ body: String) {
        #expect(OpenAIChatRequest.fastDecoded(from: Array(body.utf8)) == nil)
        #expect(throws: MessageRejection.self) { try EnvelopeCodec().decode(OpenAIChatRequest.self, from: Array(body.utf8)) }
    }
}
