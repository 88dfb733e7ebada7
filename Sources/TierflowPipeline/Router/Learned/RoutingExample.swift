/// One labelled query: how acceptable each model's (or tier's) answer was.
public struct RoutingExample: Sendable, Hashable {
    /// Unique within its dataset.
    public var id: String
    /// The dataset it belongs to (`routellm-mmlu`, `hop-log`, …).
    public var dataset: String
    /// The dataset's category, if any (informational; not a feature).
    public var category: String?
    public var query: RouterQuery
    /// Quality in [0, 1] by model or tier name: 1/0 correctness, a judge's score / 10, or a log label.
    public var scores: [String: Double]
    /// Per-label weights (e.g. explicit feedback counts more); 1 when absent.
    public var labelWeights: [String: Double]?

    public init(
        id: String, dataset: String, category: String? = nil, query: RouterQuery, scores: [String: Double],
        labelWeights: [String: Double]? = nil
    ) {
        self.id = id
        self.dataset = dataset
        self.category = category
        self.query = query
        self.scores = scores
        self.labelWeights = labelWeights
    }
}
