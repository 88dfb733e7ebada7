import Foundation

/// A moment of a running batch, for the progress bar and the plain progress lines.
public struct BatchProgress: Sendable {
    public var status: BatchStatus
    /// Lines answered per second, over the last few seconds.
    public var linesPerSecond: Double
    /// Tier names in order (layer n = tiers[n - 1]).
    public var tiers: [String]
    public var elapsedSeconds: Double

    public init(status: BatchStatus, linesPerSecond: Double, tiers: [String], elapsedSeconds: Double) {
        self.status = status
        self.linesPerSecond = linesPerSecond
        self.tiers = tiers
        self.elapsedSeconds = elapsedSeconds
    }

    /// Lines to do: the file's data lines (known after the first count) or those read so far.
    public var total: Int { max(status.totalLines ?? status.linesRead, status.linesRead) }
    /// Lines finished: answered, or skipped as malformed.
    public var finished: Int { min(total, status.doneLines + status.malformed) }

    /// Seconds left at the current rate, nil while unknown.
    public var etaSeconds: Double? {
        guard linesPerSecond > 0 else { return nil }
        return Double(max(0, total - finished)) / linesPerSecond
    }

    /// Share of answered queries per layer: `L0 21% edge 55% …`.
    public var layerShares: String {
        let done = max(1, status.doneQueries)
        return (0...tiers.count).map { layer in
            let name = layer == 0 ? "L0" : tiers[layer - 1]
            return "\(name) \(Int((100 * Double(status.layerCounts[layer] ?? 0) / Double(done)).rounded()))%"
        }.joined(separator: " ")
    }

    /// One line for a terminal, redrawn in place (no newline): a bar, counts, rate, ETA, layer shares, cost.
    public func bar(width: Int = 24) -> String {
        let fraction = total > 0 ? Double(finished) / Double(total) : 0
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        return "\(bar) \(Self.count(finished))/\(Self.count(total)) \(String(format: "%5.1f%%", fraction * 100)) | "
            + "\(Self.count(Int(linesPerSecond.rounded())))/s | ETA \(Self.duration(etaSeconds)) | \(layerShares) | "
            + String(format: "$%.4f", status.costUSD) + (status.state == .running ? "" : " | \(status.state)")
    }

    /// One plain line, for logs and pipes.
    public var line: String {
        "batch \(status.id): \(finished)/\(total) lines done (\(status.malformed) skipped), \(status.doneQueries)/\(status.queries) queries answered, "
            + String(format: "%.0f lines/s", linesPerSecond) + ", ETA \(Self.duration(etaSeconds)), \(layerShares), "
            + String(format: "cost $%.4f", status.costUSD) + ", state \(status.state)"
    }

    static func count(_ value: Int) -> String {
        value >= 1_000_000 ? String(format: "%.2fM", Double(value) / 1e6) : value >= 100_000 ? "\(value / 1000)k" : "\(value)"
    }

    static func duration(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return "--" }
        let total = Int(seconds.rounded())
        if total >= 3600 { return "\(total / 3600)h\(String(format: "%02d", (total % 3600) / 60))m" }
        if total >= 60 { return "\(total / 60)m\(String(format: "%02d", total % 60))s" }
        return "\(total)s"
    }
}
