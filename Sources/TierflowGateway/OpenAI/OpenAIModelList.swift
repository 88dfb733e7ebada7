/// The `GET /v1/models` answer: the routing policies a request's `model` may name.
public struct OpenAIModelList: Codable, Sendable, Hashable {
    public struct Model: Codable, Sendable, Hashable {
        public var id: String
        public var object = "model"
        public var created = 0
        public var ownedBy = "tierflow"
        enum CodingKeys: String, CodingKey { case id, object, created, ownedBy = "owned_by" }
    }

    public var object = "list"
    public var data: [Model]

    public init(ids: [String]) {
        data = ids.map { Model(id: $0) }
    }
}
