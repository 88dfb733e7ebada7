import ArgumentParser
import Foundation
import TierflowCommandSupport
import TierflowCore
import TierflowPipeline
import TierflowPostgres
import TierflowServices

/// `tierflow router calibrate`: shift the live model's estimates so recent traffic gets a target tier mix.
struct RouterCalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Set per-tier offsets from recent routed traffic so the start-tier mix meets a target.",
        discussion: """
            --target "edge=0.6,gpu=0.3,cloud=0.1" asks for that share of queries to start at each tier; --quality 0.8 picks
            the cheapest mix whose mean predicted start-tier success reaches 0.8. The model (the active version, else
            --model or router.model) is re-scored on the queries routed in the last --since-hours, and the calibrated copy
            is stored as a new active version (unless --dry-run); running routers pick it up within router.reload_seconds.
            """)

    @OptionGroup var options: WorkerOptions

    @Option(help: "Target share per tier, e.g. \"edge=0.6,gpu=0.3,cloud=0.1\".")
    var target: String?

    @Option(help: "Target mean predicted success of the start tier, in (0, 1).")
    var quality: Double?

    @Option(help: "Calibrate this model file instead of the active version.")
    var model: String?

    @Option(help: "Calibrate on these ingest messages (JSON Lines of {\"type\", \"body\"}, as examples/demo-events.jsonl) instead of the hop log.")
    var messages: String?

    @Option(help: "Write the calibrated model to this file instead of storing it as the active version.")
    var out: String?

    @Option(help: "How far back to read routed queries, in hours.")
    var sinceHours: Double = 24 * 7

    @Option(help: "At most this many queries (newest first).")
    var limit: Int = 20_000

    @Flag(help: "Print the offsets and shares without storing anything.")
    var dryRun = false

    func run() async throws {
        guard (target == nil) != (quality == nil) else { throw ValidationError("give exactly one of --target and --quality") }
        let config = try options.loadConfig()
        let logger = options.makeLogger(label: "tierflow.router")
        let needsDatabase = messages == nil || model == nil || (out == nil && !dryRun)
        let connection = needsDatabase ? try await RouterDatabase.connect(config: config, logger: logger) : nil
        do {
            try await calibrate(config: config, connection: connection)
        } catch {
            await connection?.close()
            throw error
        }
        await connection?.close()
    }

    func calibrate(config: PipelineConfig, connection: PostgresConnection?) async throws {
        let tiers = config.tiers.map(\.name)
        let store = connection.map { RouterModelStore(connection: $0) }
        var base: RouterModel
        if let model {
            base = try RouterModel.load(path: model)
        } else if let active = try await store?.loadActive() {
            base = active.model
            print("calibrating active version \(active.version) (\(base.name))")
        } else {
            base = try RouterModel.load(path: config.router.model)
            print("no active version; calibrating \(config.router.model)")
        }
        base.calibration = nil
        let traffic: [QueryEnvelope]
        if let messages {
            traffic = try Self.readMessages(messages, config: config)
        } else if let connection {
            traffic = try await RouterTrafficLog(connection: connection)
                .routedQueries(since: Date().addingTimeInterval(-sinceHours * 3600), limit: limit).map(\.envelope)
        } else {
            traffic = []
        }
        guard !traffic.isEmpty else { throw ValidationError("no queries to calibrate on") }
        let scorer = try LearnedScorer(model: base)
        let prompts = PromptBuilder(templates: config.templates)
        let samples = traffic.map { envelope in
            TierCalibrator.Sample(
                envelope: envelope, estimates: scorer.estimates(for: RouterQuery(envelope: envelope), tiers: tiers),
                promptTokens: prompts.prompt(for: envelope, askForConfidence: false, maxTokens: nil).text.utf8.count / 4)
        }
        let calibrator = TierCalibrator(chooser: TierChooser(config: config))
        let goal: [Double]
        let description: String
        if let quality {
            guard quality > 0 && quality < 1 else { throw ValidationError("--quality must be in (0, 1)") }
            goal = calibrator.shares(samples, quality: quality)
            description = String(format: "quality=%.3f", quality)
        } else {
            let pairs = try RouterCommandSupport.assignments(target ?? "", what: "--target")
            var shares = [Double](repeating: 0, count: tiers.count)
            for (name, value) in pairs {
                guard let index = tiers.firstIndex(of: name) else { throw ValidationError("--target: no tier named \(name)") }
                guard let share = Double(value), share >= 0 else { throw ValidationError("--target: \(name)=\(value) is not a share") }
                shares[index] = share
            }
            guard shares.reduce(0, +) > 0 else { throw ValidationError("--target: the shares add up to 0") }
            goal = shares.map { $0 / shares.reduce(0, +) }
            description = tiers.enumerated().map { "\($1)=\(String(format: "%.3f", goal[$0]))" }.joined(separator: ",")
        }
        let before = calibrator.shares(samples, offsets: Array(repeating: 0, count: tiers.count))
        let offsets = calibrator.offsets(samples, target: goal)
        let after = calibrator.shares(samples, offsets: offsets)
        print("\(samples.count) routed queries; tier: before → after (target), offset")
        for (index, tier) in tiers.enumerated() {
            print("  \(tier): \(RouterCommandSupport.percent(before[index])) → \(RouterCommandSupport.percent(after[index])) (\(RouterCommandSupport.percent(goal[index]))), \(RouterCommandSupport.format(offsets[index]))")
        }
        base.calibration = TierCalibration(
            offsets: Dictionary(uniqueKeysWithValues: zip(tiers, offsets)), target: description, queries: samples.count)
        if dryRun { return }
        if let out {
            try base.save(path: out)
            print("wrote the calibrated model to \(out)")
        } else if let store {
            let version = try await store.save(base, metrics: base.training?.metrics ?? [:], activate: true)
            print("stored the calibrated model as version \(version) and activated it")
        }
    }

    /// Envelopes of ingest messages (`{"type": "fault_event" | "chat", "body": {…}}` per line), as Layer 0 would make them.
    static func readMessages(_ path: String, config: PipelineConfig) throws -> [QueryEnvelope] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("cannot read \(path)") }
        let decoder = IngestDecoder(config: config)
        var envelopes: [QueryEnvelope] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.allSatisfy(\.isWhitespace) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let body = object["body"],
                let bytes = try? JSONSerialization.data(withJSONObject: body)
            else { throw ValidationError("\(path):\(number + 1): expected {\"type\", \"body\"}") }
            do {
                envelopes.append(try decoder.decode([UInt8](bytes), metadata: IngestMetadata(type: object["type"] as? String), now: Date()).envelope)
            } catch {
                throw ValidationError("\(path):\(number + 1): \(error)")
            }
        }
        return envelopes
    }
}
