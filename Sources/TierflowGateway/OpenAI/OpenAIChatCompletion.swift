import Foundation
import TierflowCore
import TierflowPipeline

/// An OpenAI `chat.completion` object, with Tierflow's extra `tierflow` field.
public struct OpenAIChatCompletion: Codable, Sendable, Hashable {
    /// The answer's message: a role and text, as the pipeline's chat messages are.
    public typealias Message = ChatRequest.Message

    public struct Choice: Codable, Sendable, Hashable {
        public var index: Int
        public var message: Message
        public var finishReason: String
        enum CodingKeys: String, CodingKey { case index, message, finishReason = "finish_reason" }
    }

    /// Token counts, summed over every tier attempt of the query (what was paid for).
    public struct Usage: Codable, Sendable, Hashable {
        public var promptTokens: Int
        public var completionTokens: Int
        public var totalTokens: Int
        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
        }

        public init(result: ResultMessage) {
            promptTokens = result.history.reduce(0) { $0 + $1.tokensIn }
            completionTokens = result.history.reduce(0) { $0 + $1.tokensOut }
            totalTokens = promptTokens + completionTokens
        }
    }

    public var id: String
    public var object: String
    public var created: Int
    public var model: String
    public var choices: [Choice]
    public var usage: Usage
    public var tierflow: TierflowExtra

    /// The completion for `result`, answered under `policy`.
    public init(result: ResultMessage, policy: RoutingPolicy, created: Date = Date()) {
        id = result.queryId
        object = "chat.completion"
        self.created = Int(created.timeIntervalSince1970)
        tierflow = TierflowExtra(result: result, policy: policy)
        model = tierflow.model
        choices = [
            Choice(
                index: 0, message: Message(role: "assistant", content: result.answer),
                finishReason: Self.finishReason(of: result))
        ]
        usage = Usage(result: result)
    }

    /// OpenAI's finish reason: `length` when the answering attempt was cut short, else `stop`.
    public static func finishReason(of result: ResultMessage) -> String {
        let answering = result.history.last { $0.answer == result.answer } ?? result.history.last
        switch answering?.finishReason?.lowercased() {
        case "length", "max_tokens", "max_output_tokens": return "length"
        default: return "stop"
        }
    }
}
