import Foundation
import Logging
import TierflowAMQP
import TierflowCore

/// Shared helpers: clocks, percentiles, JSON output, connection settings from the environment.
enum Bench {
    static let logger: Logger = {
        var logger = Logger(label: "tierflow.bench")
        logger.logLevel = .warning
        return logger
    }()

    static func environment(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw BenchError("\(name) is not set: run `eval \"$(scripts/services.sh env)\"` first")
        }
        return value
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// The q-quantile of `values` (nearest rank).
    static func quantile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(0, rank), sorted.count - 1)]
    }

    /// Prints one JSON object line (for bench/run.sh) after the human-readable lines.
    static func emit(_ object: [String: Any]) {
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
            print("RESULT " + String(decoding: data, as: UTF8.self))
        }
    }

    static func uniqueNamespace(_ prefix: String) -> String {
        "tierflow.bench\(prefix)\(UInt32.random(in: 0...UInt32.max))"
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Paces an open-loop sender at a fixed rate without drifting.
struct Pacer {
    let interval: Duration
    var next: ContinuousClock.Instant

    init(perSecond rate: Double) {
        interval = .nanoseconds(Int64(1e9 / rate))
        next = .now
    }

    mutating func wait() async throws {
        next = next.advanced(by: interval)
        if next > .now { try await Task.sleep(until: next) }
    }
}
