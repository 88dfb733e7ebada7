import ArgumentParser
import Foundation
import TierflowCommandSupport
import TierflowPipeline
import TierflowServices

/// `tierflow router activate`: make a stored version (or a model file, stored first) the live model.
struct RouterActivateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activate",
        abstract: "Make a stored version, or a model file, the live router model (no held-back check: you choose).")

    @OptionGroup var options: WorkerOptions

    @Argument(help: "The version to activate.")
    var version: Int?

    @Option(help: "Store this model file as a new version and activate it.")
    var file: String?

    @Flag(help: "Leave no version active: routers fall back to router.model.")
    var none = false

    func run() async throws {
        guard [version != nil, file != nil, none].filter({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of VERSION, --file FILE and --none")
        }
        let config = try options.loadConfig()
        let connection = try await RouterDatabase.connect(config: config, logger: options.makeLogger(label: "tierflow.router"))
        let store = RouterModelStore(connection: connection)
        do {
            if let version {
                try await store.activate(version: version)
                print("version \(version) is active")
            } else if let file {
                let model = try RouterModel.load(path: file)
                let stored = try await store.save(model, metrics: model.training?.metrics ?? [:], activate: true)
                print("stored \(file) as version \(stored) and activated it")
            } else {
                try await store.deactivateAll()
                print("no version is active; routers use \(config.router.model)")
            }
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }
}

/// `tierflow router list`: the stored versions, newest first.
struct RouterListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List stored router model versions, newest first.")

    @OptionGroup var options: WorkerOptions

    @Option(help: "At most this many versions.")
    var limit: Int = 20

    func run() async throws {
        let config = try options.loadConfig()
        let connection = try await RouterDatabase.connect(config: config, logger: options.makeLogger(label: "tierflow.router"))
        let versions: [RouterModelStore.Version]
        do {
            versions = try await RouterModelStore(connection: connection).list(limit: limit)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        if versions.isEmpty { print("no stored router models; routers use \(config.router.model)") }
        let formatter = ISO8601DateFormatter()
        for version in versions {
            let figures = ["held_back.logloss", "held_back.apgr", "dev.apgr"].compactMap { key in
                version.metrics[key].map { "\(key) \(RouterCommandSupport.format($0))" }
            }
            print("\(version.active ? "*" : " ") v\(version.version)  \(version.name)  \(formatter.string(from: version.createdAt))  \(figures.joined(separator: ", "))")
        }
    }
}
