import Foundation
import TierflowCore

/// Deterministic ids for batches and their queries.
public enum BatchQueryIdentity {
    /// The query that answers `event` in batch `batchId`: identical events of one batch (same site, line,
    /// asset, class, tag, alarm type, fault code, severity, message and values; event id and timestamp
    /// aside) share it, so they are diagnosed once, and a re-published line is recognised downstream.
    public static func queryId(batchId: String, event: FaultEvent) -> String {
        let values = (event.values ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        let parts = [
            "batch-query", batchId, event.site, event.line ?? "", event.asset, event.assetClass ?? "", event.tag ?? "",
            event.alarmType ?? "", event.faultCode ?? "", event.severity.rawValue, event.message, values,
        ]
        return "b-" + StableHash.hex(parts).prefix(24)
    }

    /// A batch id for `path` read with `mapping`: the same export with the same mapping gets the same id, so
    /// running the command again resumes it. From the file's name, size and first 64 KiB.
    public static func defaultBatchId(path: String, mapping: BatchMapping) throws(BatchInputError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw BatchInputError(.unreadableFile, "cannot open the file", file: path)
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 1 << 16)) ?? Data()
        let size = (try? handle.seekToEnd()) ?? 0
        let name = URL(fileURLWithPath: path).lastPathComponent
        let stem = name.split(separator: ".").first.map(String.init) ?? "batch"
        let safe = String(stem.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.prefix(24))
        let hash = StableHash.hex(["batch", name, String(size), String(decoding: head, as: UTF8.self), mapping.canonical])
        return "\(safe)-\(hash.prefix(10))"
    }
}
