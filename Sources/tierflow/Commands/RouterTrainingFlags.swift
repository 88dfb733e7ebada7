import ArgumentParser
import Logging
import TierflowHTTP
import TierflowPipeline

/// The hyperparameters of `tierflow router train` (defaults tuned on the dev splits).
struct RouterTrainingFlags: ParsableArguments {
    @Option(help: "The hash space has 2^bits positions.")
    var hashBits: Int = 18
    @Option(help: "Norm of the word unigram and bigram block.")
    var wordWeight: Float = 1
    @Flag(inversion: .prefixedNo, help: "Word pairs as features.")
    var bigrams = true
    @Option(help: "Norm of the character n-gram block (0: off; they did not help on the dev splits and cost latency).")
    var charWeight: Float = 0
    @Option(help: "Shortest character n-gram.")
    var charMin: Int = 3
    @Option(help: "Longest character n-gram.")
    var charMax: Int = 5
    @Option(help: "Character n-grams from at most this many leading bytes.")
    var maxCharBytes: Int = 2048
    @Option(help: "Norm of the structural block (0: off).")
    var structureWeight: Float = 0.3
    @Flag(inversion: .prefixedNo, help: "Weigh features by inverse document frequency learned from the training queries.")
    var idf = true
    @Option(help: "L2 penalty on each head's weights.")
    var l2: Double = 2e-4
    @Option(help: "Size of the representation shared by all heads (0: none).")
    var rank: Int = 0
    @Option(help: "L2 penalty on the shared representation.")
    var sharedL2: Double = 3e-5
    @Option(help: "Loss weight of the data's other models as auxiliary heads (0: leave them out).")
    var auxWeight: Double = 0
    @Option(help: "Loss weight of auxiliary heads predicting each example's dataset category (needs --rank > 0; 0: off).")
    var categoryWeight: Double = 0
    @Option(help: "Most L-BFGS iterations.")
    var iterations: Int = 150
    @Option(help: "Random seed (training is deterministic for a seed).")
    var seed: UInt64 = 1
    @Option(help: "Share of examples held back for the activation check.")
    var heldBack: Double = 0.1
    @Option(help: "Weight storage: float32 or int8.")
    var encoding: String = "float32"
    @Option(help: "Further models to learn with their own weights and keep in the file (e.g. another dataset's pair), comma-separated.")
    var keepHeads: String?
    @Option(help: "Use an OpenAI-compatible embeddings endpoint for features instead of hashing (base URL).")
    var embeddings: String?
    @Option(help: "With --embeddings: the embedding model.")
    var embeddingModel: String?
    @Option(help: "With --embeddings: the vector length.")
    var embeddingDimension: Int?
    @Option(help: "With --embeddings: the environment variable holding the API key.")
    var embeddingKeyEnv: String?

    /// The trainer's options.
    func trainingOptions() throws -> TrainingOptions {
        guard let encoding = PackedWeights.Encoding(rawValue: encoding) else {
            throw ValidationError("--encoding must be float32 or int8")
        }
        let options = TrainingOptions(
            featurizer: HashedFeaturizer.Options(
                hashBits: hashBits, wordWeight: wordWeight, bigrams: bigrams, charWeight: charWeight, charMin: charMin,
                charMax: charMax, maxCharBytes: maxCharBytes, structureWeight: structureWeight, idf: idf),
            l2: l2, rank: rank, sharedL2: sharedL2, auxiliaryWeight: auxWeight, categoryWeight: categoryWeight, iterations: iterations, seed: seed,
            heldBackFraction: heldBack, encoding: encoding, keepHeads: RouterCommandSupport.list(keepHeads))
        if let problem = options.problem { throw ValidationError(problem) }
        return options
    }

    /// The featuriser to train with, and the HTTP client it owns (if any).
    func featurizer(logger: Logger) throws -> OwnedFeaturizer {
        guard let embeddings else {
            return OwnedFeaturizer(featurizer: HashedFeaturizer(options: try trainingOptions().featurizer), httpClient: nil)
        }
        guard let embeddingModel, let embeddingDimension, embeddingDimension > 0 else {
            throw ValidationError("--embeddings needs --embedding-model and --embedding-dimension")
        }
        let client = HTTPClient(logger: logger)
        let provider = OpenAIEmbeddingProvider(
            options: .init(endpoint: embeddings, model: embeddingModel, dimension: embeddingDimension, apiKeyEnvironment: embeddingKeyEnv),
            client: client)
        return OwnedFeaturizer(featurizer: provider, httpClient: client)
    }
}

/// A featuriser and the HTTP client it needs shut down afterwards.
struct OwnedFeaturizer {
    var featurizer: any QueryFeaturizer
    var httpClient: HTTPClient?

    /// The featuriser a stored model needs (an HTTP client only for embedding models).
    static func forModel(_ model: RouterModel, logger: Logger) throws -> OwnedFeaturizer {
        if model.featurizer.hashed != nil { return OwnedFeaturizer(featurizer: try model.localFeaturizer(), httpClient: nil) }
        let client = HTTPClient(logger: logger)
        return OwnedFeaturizer(featurizer: try model.makeFeaturizer(httpClient: client), httpClient: client)
    }

    func shutdown() async {
        await httpClient?.shutdown()
    }
}
