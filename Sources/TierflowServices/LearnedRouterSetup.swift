import Logging
import ServiceLifecycle
import TierflowCore
import TierflowPipeline
import TierflowPostgres

/// The router's scorer for `router.kind`: the transparent rules, or a learned model that follows the
/// active version in `router_models` (falling back to the `router.model` file when none is active).
public enum LearnedRouterSetup {
    /// The scorer to route with and the services that keep it current (the reloader, for `learned`).
    public static func scorer(config: PipelineConfig, logger: Logger) -> (scorer: any TierScorer, services: [any Service]) {
        guard config.router.kind == "learned" else { return (TransparentScorer(), []) }
        let fallback = fileScorer(path: config.router.model, logger: logger)
        let swappable = SwappableScorer(fallback)
        let url = config.database.url.value
        let reloader = RouterModelReloader(
            scorer: swappable, interval: .milliseconds(Int64(config.router.reloadSeconds * 1000)), logger: logger,
            fallback: { fallback },
            connect: { try await PostgresConnection.connect(configuration: PostgresConfiguration(url: url, applicationName: "tierflow-router-models"), logger: logger) })
        return (swappable, [reloader])
    }

    /// The model file's scorer, or the transparent rules (with an error logged) if it cannot be loaded.
    static func fileScorer(path: String, logger: Logger) -> any TierScorer {
        do {
            let model = try RouterModel.load(path: path)
            logger.info("router model file loaded", metadata: ["router.model": "\(model.name)", "router.file": "\(path)"])
            return try LearnedScorer(model: model, name: "learned-file:\(model.name)")
        } catch {
            logger.error("router model file not usable; routing with the transparent rules until a version is activated",
                metadata: ["router.file": "\(path)", "error": "\(error)"])
            return TransparentScorer()
        }
    }
}
