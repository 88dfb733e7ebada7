import Foundation

import TierflowCore
@testable import TierflowPipeline

/// Small synthetic routing data: the weak model fails on prompts with a "hard" word, the strong one
/// only on prompts with "impossible".
enum RouterTestData {
    static let easyWords = ["pump", "valve", "reset", "pressure", "flow", "alarm", "motor", "filter", "belt", "sensor", "level", "tank"]
    static let hardWords = ["integral", "theorem", "eigenvalue", "derivation"]

    /// `count` examples; deterministic for `seed`.
    static func examples(count: Int, seed: UInt64 = 7, dataset: String = "toy") -> [RoutingExample] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { index in
            var words = (0..<(4 + Int(random.next() % 8))).map { _ in easyWords[Int(random.next() % UInt64(easyWords.count))] }
            let hard = random.unit() < 0.4
            let impossible = hard && random.unit() < 0.3
            if hard { words.insert(hardWords[Int(random.next() % UInt64(hardWords.count))], at: Int(random.next() % UInt64(words.count))) }
            if impossible { words.append("impossible") }
            return RoutingExample(
                id: "\(dataset)-\(index)", dataset: dataset, query: RouterQuery(text: words.joined(separator: " ") + "?"),
                scores: ["weak": hard ? 0 : 1, "strong": impossible ? 0 : 1])
        }
    }

    /// Fast options for small data.
    static let options = TrainingOptions(
        featurizer: HashedFeaturizer.Options(hashBits: 12, charWeight: 0.3, maxCharBytes: 256),
        l2: 1e-3, rank: 2, sharedL2: 1e-3, iterations: 60, seed: 3, heldBackFraction: 0.2)

    /// A JSON Lines rendering of `examples`.
    static func jsonLines(_ examples: [RoutingExample]) -> String {
        examples.map { example in
            let object: [String: Any] = ["id": example.id, "dataset": example.dataset, "prompt": example.query.text, "scores": example.scores]
            return String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }.joined(separator: "\n")
    }
}
