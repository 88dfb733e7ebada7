import Foundation
import Testing

@testable import TierflowPostgres

@Suite("PostgresConnection (live)", .enabled(if: LiveDatabase.isEnabled))
struct PostgresConnectionTests {
    @Test func theConnectionThreadIsNamed() async throws {
        let connection = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        let names = tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
        await connection.close()
        #expect(names.contains("pg-connection\n"), "as `top -H`, `perf` and crash reports show it: \(names.sorted())")
    }

    @Test("a wrong password fails with an authentication error that does not contain the password")
    func wrongPassword() async throws {
        let secret = "wrong-\(LiveDatabase.uniqueSuffix())"
        var components = try #require(URLComponents(string: LiveDatabase.workerURL))
        components.password = secret
        let url = try #require(components.string)
        let error = try await #require(throws: PostgresError.self) {
            _ = try await LiveDatabase.connect(url: url)
        }
        #expect(error.code == .authenticationFailed)
        #expect(error.message.contains("password authentication failed"))
        #expect(!"\(error)".contains(secret))
        #expect(!error.message.contains(secret))
        #expect(error.context.values.allSatisfy { !$0.contains(secret) })
        #expect(error.context["db.url"]?.contains("tierflow_worker:***@") == true)
    }

    @Test("every parameter type round-trips")
    func roundTrip() async throws {
        let connection = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        defer { Task { await connection.close() } }
        let allBytes = (0...255).map { UInt8($0) }
        let date = Date(timeIntervalSince1970: 1_714_567_890.123456)
        let text = "Grüße, 世界 🚀 'quoted' \"double\" \\ back\\slash"
        let rows = try await connection.query(
            """
            SELECT $1::text AS text, $2::bigint AS int, $3::float8 AS double, $4::boolean AS bool,
                   $5::timestamptz AS date, $6::bytea AS bytes, $7::jsonb AS json, $8::text AS null_text,
                   $9::bigint AS big, $10::float8 AS nan, $11::boolean AS f
            """,
            [.string(text), .int(-42), .double(3.141592653589793), .bool(true), .date(date), .bytes(allBytes),
             .json(#"{"b": [1, 2], "a": "ü"}"#), .null, .int64(Int64.max), .double(.nan), false])
        let row = try #require(rows.first)
        #expect(rows.count == 1)
        #expect(try row.string("text") == text)
        #expect(try row.int("int") == -42)
        #expect(try row.double("double") == 3.141592653589793)
        #expect(try row.bool("bool") == true)
        #expect(try row.bool("f") == false)
        let decoded = try #require(try row.date("date"))
        #expect(abs(decoded.timeIntervalSince1970 - date.timeIntervalSince1970) < 0.000_001)
        #expect(try row.bytes("bytes") == allBytes)
        #expect(try row.string("json") == #"{"a": "ü", "b": [1, 2]}"#)
        #expect(try row.string("null_text") == nil)
        #expect(try row.isNull("null_text"))
        #expect(try row.int("big") == Int.max)
        #expect(try row.double("nan")?.isNaN == true)
        #expect(rows.columns.first == "text")
        #expect(throws: PostgresError.self) { try row.int("no_such_column") }
        #expect(throws: PostgresError.self) { try row.int("text") }
    }

    @Test("NUL characters are sanitised, never truncate a value, and jsonb accepts the result")
    func nulSanitising() async throws {
        let connection = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        defer { Task { await connection.close() } }
        let rows = try await connection.query(
            "SELECT $1::text AS text, $2::jsonb ->> 'a' AS json",
            [.string("before\u{0}after"), .json(#"{"a": "x\u0000y"}"#)])
        #expect(try rows.first?.string("text") == "before\u{FFFD}after")
        #expect(try rows.first?.string("json") == "x\u{FFFD}y")
    }

    @Test("COPY stores fields with backslashes, tabs, newlines and non-ASCII text exactly")
    func copyEscaping() async throws {
        let connection = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        defer { Task { await connection.close() } }
        let prefix = "copy-\(LiveDatabase.uniqueSuffix())-"
        let awkward = "tab\there\nnew line\r\\N back\\slash Grüße 🚀"
        let hop = HopRecord(
            queryId: prefix + "1", stage: "tier", tier: "edge", worker: "w", startedAt: Date(), finishedAt: Date(),
            decision: "answered", model: awkward, error: nil, detail: #"{"k": "a\tb\\c ü"}"#)
        #expect(try await connection.copyHops([hop]) == 1)
        let rows = try await connection.query(
            "SELECT model, error, score, detail ->> 'k' AS k FROM hops WHERE query_id = $1", [.string(prefix + "1")])
        let row = try #require(rows.first)
        #expect(try row.string("model") == awkward)
        #expect(try row.isNull("error"))
        #expect(try row.isNull("score"))
        #expect(try row.string("k") == "a\tb\\c ü")
        try await LiveDatabase.deleteRows(queryIdPrefix: prefix)
    }

    @Test("an SQL injection attempt in a parameter is stored literally")
    func injectionIsLiteral() async throws {
        try await LiveDatabase.migrateSharedDatabase()
        let connection = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        defer { Task { await connection.close() } }
        let prefix = "test-inj-\(LiveDatabase.uniqueSuffix())-"
        let attack = "x'); DROP TABLE hops; --"
        let inserted = try await connection.execute(
            "INSERT INTO queries (id, source, received_at, payload) VALUES ($1, $2, now(), $3::jsonb)",
            [.string(prefix + "1"), .string(attack), .json(#"{"q": "' OR 1=1 --"}"#)])
        #expect(inserted == 1)
        let rows = try await connection.query("SELECT source, payload->>'q' AS q FROM queries WHERE id = $1", [.string(prefix + "1")])
        #expect(try rows.first?.string("source") == attack)
        #expect(try rows.first?.string("q") == "' OR 1=1 --")
        let hops = try await connection.query("SELECT to_regclass('hops') IS NOT NULL AS present")
        #expect(try hops.first?.bool("present") == true)
        try await LiveDatabase.deleteRows(queryIdPrefix: prefix)
    }

    @Test("a server error carries SQLSTATE and message; the connection stays usable")
    func serverError() async throws {
        let connection = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        defer { Task { await connection.close() } }
        let error = try await #require(throws: PostgresError.self) {
            try await connection.query("SELECT 1 / $1::int", [.int(0)])
        }
        #expect(error.code == .serverError)
        #expect(error.sqlState == "22012")
        #expect(error.message.contains("division by zero"))
        #expect(!error.isRetryable)
        #expect(try await connection.query("SELECT 1 AS one").first?.int("one") == 1)
    }

    @Test("a transaction rolls back entirely when one statement fails")
    func transactionRollback() async throws {
        try await LiveDatabase.migrateSharedDatabase()
        let connection = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        defer { Task { await connection.close() } }
        let prefix = "test-tx-\(LiveDatabase.uniqueSuffix())-"
        let insert = "INSERT INTO queries (id, source, received_at, payload) VALUES ($1, 'chat', now(), '{}')"
        await #expect(throws: PostgresError.self) {
            try await connection.transaction([
                PostgresStatement(insert, [.string(prefix + "a")]),
                PostgresStatement(insert, [.string(prefix + "a")]),  // duplicate key
            ])
        }
        let count = try await connection.query("SELECT count(*) AS n FROM queries WHERE id LIKE $1", [.string(prefix + "%")])
        #expect(try count.first?.int("n") == 0)
        let results = try await connection.transaction([
            PostgresStatement(insert, [.string(prefix + "b")]),
            PostgresStatement("SELECT count(*) AS n FROM queries WHERE id LIKE $1", [.string(prefix + "%")]),
        ])
        #expect(results.count == 2)
        #expect(results[0].affectedRows == 1)
        #expect(try results[1].first?.int("n") == 1)
        try await LiveDatabase.deleteRows(queryIdPrefix: prefix)
    }

    @Test("after the backend is terminated, the next calls reconnect and succeed")
    func reconnectAfterTermination() async throws {
        let application = "tierflow-test-kill-\(LiveDatabase.uniqueSuffix())"
        let connection = try await LiveDatabase.connect(url: LiveDatabase.workerURL, application: application)
        defer { Task { await connection.close() } }
        let firstPID = try #require(try await connection.query("SELECT pg_backend_pid() AS pid").first?.int("pid"))
        #expect(try LiveDatabase.terminateBackends(application: application) == 1)
        // The loss is noticed before the statement is sent, so this call reconnects transparently.
        let secondPID = try #require(try await connection.query("SELECT pg_backend_pid() AS pid").first?.int("pid"))
        #expect(secondPID != firstPID)
        #expect(try await connection.query("SELECT 2 AS two").first?.int("two") == 2)
    }

    @Test("a statement running when the connection drops fails with a retryable connectionLost")
    func lossDuringStatement() async throws {
        let application = "tierflow-test-midkill-\(LiveDatabase.uniqueSuffix())"
        let connection = try await LiveDatabase.connect(url: LiveDatabase.workerURL, application: application)
        defer { Task { await connection.close() } }
        let slow = Task { try await connection.query("SELECT pg_sleep(5)") }
        var killed = 0
        for _ in 0..<100 where killed == 0 {
            try await Task.sleep(for: .milliseconds(20))
            killed = try LiveDatabase.superuser(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '\(application)' AND state = 'active'"
            ) == "1" ? 1 : 0
        }
        #expect(killed == 1)
        let error = await #expect(throws: PostgresError.self) { try await slow.value }
        #expect(error?.code == .connectionLost)
        #expect(error?.isRetryable == true)
        #expect(try await connection.query("SELECT 3 AS three").first?.int("three") == 3)
    }

    @Test("a COPY whose connection drops fails with connectionLost, and the connection is not touched again")
    func lossDuringCopy() async throws {
        let connection = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        defer { Task { await connection.close() } }
        // The column default ends this backend while COPY reads the first row (the server answers FATAL 57P01).
        _ = try await connection.execute(
            "CREATE FUNCTION pg_temp.end_backend() RETURNS int LANGUAGE sql AS 'SELECT CASE WHEN pg_terminate_backend(pg_backend_pid()) THEN 1 END'"
        )
        _ = try await connection.execute("CREATE TEMP TABLE copy_loss (a text, b int DEFAULT pg_temp.end_backend())")
        let error = await #expect(throws: PostgresError.self) {
            _ = try await connection.copyIn("COPY copy_loss (a) FROM STDIN", data: Array("one\ntwo\n".utf8))
        }
        #expect(error?.code == .connectionLost)
        #expect(try await connection.query("SELECT 4 AS four").first?.int("four") == 4)
    }
}

@Suite("PostgresSession transactions (live)", .enabled(if: LiveDatabase.isEnabled))
struct PostgresSessionTransactionTests {
    @Test("a connection lost between statements of a transaction fails it; nothing is half-applied")
    func lossBetweenStatements() async throws {
        try await LiveDatabase.migrateSharedDatabase()
        let application = "tierflow-test-txkill-\(LiveDatabase.uniqueSuffix())"
        let prefix = "test-txkill-\(LiveDatabase.uniqueSuffix())-"
        let connection = try await LiveDatabase.connect(url: LiveDatabase.workerURL, application: application)
        let insert = "INSERT INTO queries (id, source, received_at, payload) VALUES ($1, 'chat', now(), '{}')"
        let error = await #expect(throws: PostgresError.self) {
            try await connection.withSession { session in
                try session.transaction {
                    _ = try session.execute(insert, [.string(prefix + "a")])
                    try LiveDatabase.terminateBackends(application: application)  // blocks this test's thread only
                    _ = try session.execute(insert, [.string(prefix + "b")])
                }
            }
        }
        #expect(error?.code == .connectionLost)
        let count = try await connection.query("SELECT count(*) AS n FROM queries WHERE id LIKE $1", [.string(prefix + "%")])
        #expect(try count.first?.int("n") == 0)
        await connection.close()
    }

    @Test("statements sent as one pipeline commit together, return their rows, and roll back together on a failure")
    func pipelinedStatementsAreAtomic() async throws {
        try await LiveDatabase.migrateSharedDatabase()
        let prefix = "test-pipeline-\(LiveDatabase.uniqueSuffix())-"
        let connection = try await LiveDatabase.connect(url: LiveDatabase.workerURL)
        let insert = "INSERT INTO queries (id, source, received_at, payload) VALUES ($1, 'chat', now(), $2::jsonb) RETURNING id"
        func count() async throws -> Int {
            let rows = try await connection.query("SELECT count(*) AS n FROM queries WHERE id LIKE $1", [.string(prefix + "%")])
            return try rows.first?.int("n") ?? -1
        }

        let returned = try await connection.withSession { session in
            try session.executeAtomically([
                PostgresStatementCall(sql: insert, parameters: [.string(prefix + "a"), .string("{}")]),
                PostgresStatementCall(sql: insert, parameters: [.string(prefix + "b"), .string("{}")], prepare: false),
            ]).map { try $0.first?.string("id") }
        }
        #expect(returned == [prefix + "a", prefix + "b"])
        #expect(try await count() == 2)

        // The second statement fails (invalid JSON): the first one's row must not stay.
        let error = await #expect(throws: PostgresError.self) {
            try await connection.withSession { session in
                _ = try session.executeAtomically([
                    PostgresStatementCall(sql: insert, parameters: [.string(prefix + "c"), .string("{}")]),
                    PostgresStatementCall(sql: insert, parameters: [.string(prefix + "d"), .string("{not json")]),
                    PostgresStatementCall(sql: insert, parameters: [.string(prefix + "e"), .string("{}")]),
                ])
            }
        }
        #expect(error?.code == .serverError)
        #expect(error?.sqlState == "22P02")
        #expect(try await count() == 2)

        // The connection is usable afterwards, in and out of pipeline mode.
        let after = try await connection.withSession { session in
            try session.executeAtomically([
                PostgresStatementCall(sql: insert, parameters: [.string(prefix + "f"), .string("{}")]),
                PostgresStatementCall(sql: "SELECT count(*) AS n FROM queries WHERE id LIKE $1", parameters: [.string(prefix + "%")]),
            ])
        }
        #expect(try after[1].first?.int("n") == 3, "a later statement sees the earlier one of the same pipeline")
        #expect(try await count() == 3)
        await connection.close()
        try await LiveDatabase.deleteRows(queryIdPrefix: prefix)
    }
}
