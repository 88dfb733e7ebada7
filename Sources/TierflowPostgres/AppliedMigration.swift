import Foundation

/// A migration recorded in `schema_migrations`.
public struct AppliedMigration: Sendable, Hashable {
    /// The number the file name starts with (`002_kb_index.sql` → 2).
    public var version: Int
    /// The file name, e.g. `002_kb_index.sql`.
    public var name: String
    /// SHA-256 of the file's bytes, lowercase hex.
    public var checksum: String
    /// When it was applied (the applying transaction's start time).
    public var appliedAt: Date

    /// Creates a record.
    public init(version: Int, name: String, checksum: String, appliedAt: Date) {
        self.version = version
        self.name = name
        self.checksum = checksum
        self.appliedAt = appliedAt
    }
}
