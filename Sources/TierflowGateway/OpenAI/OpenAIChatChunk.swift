import Foundation
import TierflowPipeline

/// One `chat.completion.chunk` of a streamed answer (server-sent events).
public struct OpenAIChatChunk: Codable, Sendable, Hashable {
    public struct Delta: Codable, Sendable, Hashable {
        public var role: String?
        public var content: String?
    }

    public struct Choice: Codable, Sendable, Hashable {
        public var index: Int
        public var delta: Delta
        public var finishReason: String?
        enum CodingKeys: String, CodingKey { case index, delta, finishReason = "finish_reason" }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(index, forKey: .index)
            try container.encode(delta, forKey: .delta)
            try container.encode(finishReason, forKey: .finishReason)  // null until the last chunk, as OpenAI sends it
        }
    }

    public var id: String
    public var object = "chat.completion.chunk"
    public var created: Int
    public var model: String
    public var choices: [Choice]
    public var usage: OpenAIChatCompletion.Usage?
    public var tierflow: TierflowExtra?

    /// The chunks of `completion`: a role chunk, the answer in pieces of about `pieceLength` characters,
    /// a finish chunk carrying the `tierflow` field, and with `includeUsage` a last chunk with the usage.
    public static func chunks(of completion: OpenAIChatCompletion, pieceLength: Int, includeUsage: Bool) -> [OpenAIChatChunk] {
        func chunk(_ delta: Delta, finish: String? = nil) -> OpenAIChatChunk {
            OpenAIChatChunk(
                id: completion.id, created: completion.created, model: completion.model,
                choices: [Choice(index: 0, delta: delta, finishReason: finish)])
        }
        let answer = completion.choices.first?.message.content ?? ""
        var chunks = [chunk(Delta(role: "assistant", content: ""))]
        for piece in pieces(of: answer, length: pieceLength) { chunks.append(chunk(Delta(content: piece))) }
        var finish = chunk(Delta(), finish: completion.choices.first?.finishReason ?? "stop")
        finish.tierflow = completion.tierflow
        chunks.append(finish)
        if includeUsage {
            chunks.append(
                OpenAIChatChunk(
                    id: completion.id, created: completion.created, model: completion.model, choices: [],
                    usage: completion.usage))
        }
        return chunks
    }

    /// `text` cut into pieces of about `length` characters, breaking after a space where one is near.
    public static func pieces(of text: String, length: Int) -> [String] {
        var pieces: [String] = []
        var rest = Substring(text)
        let length = max(1, length)
        while !rest.isEmpty {
            guard rest.count > length else {
                pieces.append(String(rest))
                break
            }
            var end = rest.index(rest.startIndex, offsetBy: length)
            if let space = rest[rest.startIndex..<end].lastIndex(of: " "), space > rest.startIndex {
                end = rest.index(after: space)
            }
            pieces.append(String(rest[..<end]))
            rest = rest[end...]
        }
        return pieces
    }
}
