/// One parameterised SQL statement: `$1`, `$2`, ... in `sql` refer to `parameters`.
public struct PostgresStatement: Sendable {
    /// The SQL text; a single statement, never built from untrusted input.
    public var sql: String
    /// The values for `$1...$n`.
    public var parameters: [PostgresValue]

    /// Creates a statement.
    public init(_ sql: String, _ parameters: [PostgresValue] = []) {
        self.sql = sql
        self.parameters = parameters
    }
}
