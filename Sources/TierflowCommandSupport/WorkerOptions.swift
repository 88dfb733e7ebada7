import ArgumentParser
import Foundation
import Logging
import TierflowCore

/// Options every Tierflow process takes.
public struct WorkerOptions: ParsableArguments {
    @Option(name: .long, help: "The pipeline configuration.")
    public var config: String = "pipeline.yaml"

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    public var logLevel: Logger.Level = .info

    @Option(name: .long, help: "Serve /metrics, /health and /ready on this port instead of ops.metrics_port (0 = off).")
    public var metricsPort: Int?

    public init() {}

    /// Loads and validates the configuration; a bad one stops the process with its file, line and key.
    public func loadConfig() throws -> PipelineConfig {
        do {
            var loaded = try PipelineConfig.load(path: config)
            if let metricsPort {
                guard (0...65_535).contains(metricsPort) else { throw ValidationError("--metrics-port: expected 0-65535, got \(metricsPort)") }
                loaded.ops.metricsPort = metricsPort
            }
            return loaded
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    /// Sets up logging to standard error at the chosen level and returns the process's logger.
    public func makeLogger(label: String) -> Logger {
        LoggingBootstrap.once(level: logLevel)
        var logger = Logger(label: label)
        logger.logLevel = logLevel
        return logger
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Bootstraps swift-log exactly once per process.
enum LoggingBootstrap {
    private static let done: Void = {
        LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }
    }()

    static func once(level: Logger.Level) {
        _ = done
    }
}
