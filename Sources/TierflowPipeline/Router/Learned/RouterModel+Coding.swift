import Foundation

extension RouterModel: Codable {
    enum CodingKeys: String, CodingKey {
        case format, name, createdAt = "created_at", featurizer, models, heads, bias, weights, training, calibration
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let format = try container.decode(Int.self, forKey: .format)
        guard format == Self.formatVersion else {
            throw LearnedRouterError(.badModel, "model format \(format) is not supported (this build reads \(Self.formatVersion))")
        }
        name = try container.decode(String.self, forKey: .name)
        createdAt = try container.decode(Date.self, forKey: .createdAt)
        featurizer = try container.decode(FeaturizerSpec.self, forKey: .featurizer)
        models = try container.decode([String].self, forKey: .models)
        heads = try container.decode([String].self, forKey: .heads)
        bias = try container.decode([Float].self, forKey: .bias)
        weights = try container.decode(PackedWeights.self, forKey: .weights)
        training = try container.decodeIfPresent(RouterTrainingReport.self, forKey: .training)
        calibration = try container.decodeIfPresent(TierCalibration.self, forKey: .calibration)
        if let problem { throw LearnedRouterError(.badModel, problem) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.formatVersion, forKey: .format)
        try container.encode(name, forKey: .name)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(featurizer, forKey: .featurizer)
        try container.encode(models, forKey: .models)
        try container.encode(heads, forKey: .heads)
        try container.encode(bias, forKey: .bias)
        try container.encode(weights, forKey: .weights)
        try container.encodeIfPresent(training, forKey: .training)
        try container.encodeIfPresent(calibration, forKey: .calibration)
    }

    /// The model as JSON (dates ISO 8601, keys sorted so equal models give equal bytes).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    /// A model from its JSON form.
    public init(jsonData: Data) throws {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            self = try decoder.decode(RouterModel.self, from: jsonData)
        } catch let error as LearnedRouterError {
            throw error
        } catch {
            throw LearnedRouterError(.badModel, "not a router model: \(error)")
        }
    }

    /// Reads a model file.
    public static func load(path: String) throws -> RouterModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LearnedRouterError(.badModel, "cannot read model file \(path)")
        }
        do {
            return try RouterModel(jsonData: data)
        } catch let error as LearnedRouterError {
            throw LearnedRouterError(error.code, "\(path): \(error.message)")
        }
    }

    /// Writes the model file atomically.
    public func save(path: String) throws {
        try jsonData().write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// The in-process featuriser for this model; throws if it needs a remote provider.
    public func localFeaturizer() throws -> HashedFeaturizer {
        guard let options = featurizer.hashed else {
            throw LearnedRouterError(.mismatch, "model \(name) uses \(featurizer.kind) features, which need a provider (not local)")
        }
        return HashedFeaturizer(options: options, idf: featurizer.idf)
    }
}

/// What training recorded with a model: options, data and measured figures.
public struct RouterTrainingReport: Codable, Sendable, Hashable {
    /// The training options.
    public var options: TrainingOptions
    /// The data files (or `hop-log`) it learned from.
    public var data: [String]
    /// Examples trained on and held back.
    public var trainExamples: Int
    public var heldBackExamples: Int
    /// Named figures, e.g. `train.logloss`, `held_back.logloss`, `held_back.apgr`.
    public var metrics: [String: Double]

    public init(options: TrainingOptions, data: [String], trainExamples: Int, heldBackExamples: Int, metrics: [String: Double]) {
        self.options = options
        self.data = data
        self.trainExamples = trainExamples
        self.heldBackExamples = heldBackExamples
        self.metrics = metrics
    }

    enum CodingKeys: String, CodingKey {
        case options, data, trainExamples = "train_examples", heldBackExamples = "held_back_examples", metrics
    }
}

/// Per-tier logit offsets that shift a model's estimates so routing meets a target tier mix.
public struct TierCalibration: Codable, Sendable, Hashable {
    /// Offset added to the logit of each tier's estimate, by tier name.
    public var offsets: [String: Double]
    /// What was asked for, e.g. `edge=0.6,gpu=0.3,cloud=0.1` or `quality=0.8`.
    public var target: String
    /// The queries it was calibrated on.
    public var queries: Int
    public var calibratedAt: Date

    public init(offsets: [String: Double], target: String, queries: Int, calibratedAt: Date = Date()) {
        self.offsets = offsets
        self.target = target
        self.queries = queries
        self.calibratedAt = calibratedAt
    }

    enum CodingKeys: String, CodingKey {
        case offsets, target, queries, calibratedAt = "calibrated_at"
    }
}
