import Foundation
import Testing

@testable import TierflowPostgres

@Suite("Encoding, decoding and redaction (no database)")
struct PostgresValueTests {
    @Test("sanitised replaces NUL and leaves other text alone")
    func sanitised() {
        #expect(PostgresValue.sanitised("a\u{0}b\u{0}") == "a\u{FFFD}b\u{FFFD}")
        #expect(PostgresValue.sanitised("plain ü 🚀") == "plain ü 🚀")
    }

    @Test("sanitisedJSON replaces \\u0000 escapes but not escaped backslashes")
    func sanitisedJSON() {
        #expect(PostgresValue.sanitisedJSON(#"{"a": "x\u0000y"}"#) == #"{"a": "x\ufffdy"}"#)
        #expect(PostgresValue.sanitisedJSON(#"{"a": "x\\u0000y"}"#) == #"{"a": "x\\u0000y"}"#)
        #expect(PostgresValue.sanitisedJSON(#"{"a": "x\\\u0000y"}"#) == #"{"a": "x\\\ufffdy"}"#)
        #expect(PostgresValue.sanitisedJSON(#"{"a": "\u0041"}"#) == #"{"a": "\u0041"}"#)
    }

    @Test("dates written straight into bytes read back as the same microsecond")
    func dateRoundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let micros = Int64.random(in: -30_000_000_000_000_000...250_000_000_000_000_000, using: &generator)
            let date = Date(timeIntervalSince1970: Double(micros) / 1_000_000)
            let text = PostgresDateFormat.string(from: date)
            #expect(text.utf8.count == 27 || date.timeIntervalSince1970 < -62_135_596_800, "\(text)")
            let back = try #require(PostgresDateFormat.date(from: text), "\(text)")
            #expect(abs(back.timeIntervalSince(date)) < 0.000_002, "\(text)")
        }
    }

    @Test("dates encode as ISO-8601 UTC with microseconds and decode from PostgreSQL's output")
    func dates() throws {
        let date = Date(timeIntervalSince1970: 1_714_567_890.123456)
        #expect(PostgresDateFormat.string(from: date) == "2024-05-01T12:51:30.123456Z")
        #expect(PostgresDateFormat.string(from: Date(timeIntervalSince1970: -1.5)) == "1969-12-31T23:59:58.500000Z")
        let decoded = try #require(PostgresDateFormat.date(from: "2024-05-01 12:51:30.123456+00"))
        #expect(abs(decoded.timeIntervalSince(date)) < 0.000_001)
        #expect(PostgresDateFormat.date(from: "2024-05-01 14:51:30.123456+02") == decoded)
        #expect(PostgresDateFormat.date(from: "2024-05-01 07:21:30.123456-05:30") == decoded)
        #expect(PostgresDateFormat.date(from: "2024-05-01")?.timeIntervalSince1970 == 1_714_521_600)
        #expect(PostgresDateFormat.date(from: "infinity") == .distantFuture)
        #expect(PostgresDateFormat.date(from: "not a date") == nil)
    }

    @Test("array literals quote and escape elements")
    func arrayLiteral() {
        let value = PostgresValue.array([.string(#"a"b\c"#), .null, .int(3), .bytes([0, 255])])
        #expect(value.textRepresentation == #"{"a\"b\\c",NULL,"3","\\x00ff"}"#)
    }

    @Test("bytea hex and escape formats decode")
    func bytea() {
        let all = (0...255).map { UInt8($0) }
        #expect(PostgresBytea.decode(PostgresBytea.hexString(all)) == all)
        #expect(PostgresBytea.decode(#"a\000\\\377"#) == [0x61, 0, 0x5c, 0xff])
    }

    @Test("passwords are redacted from descriptions and messages")
    func redaction() {
        let configuration = PostgresConfiguration(url: "postgresql://worker:s3cr%40t@127.0.0.1:5499/db")
        #expect(configuration.description == "postgresql://worker:***@127.0.0.1:5499/db")
        #expect(configuration.password == "s3cr@t")
        #expect(configuration.redacting("failed for s3cr@t and s3cr%40t") == "failed for *** and ***")
        #expect(PostgresConfiguration.redactedURL("host=h password='a b' user=u") == "host=h password=*** user=u")
        #expect(PostgresConfiguration(url: "host=h password=xyz").password == "xyz")
    }

    @Test("backoff stays within its bounds and grows")
    func backoff() {
        let backoff = PostgresConfiguration.Backoff(initial: .milliseconds(100), maximum: .seconds(2))
        for attempt in 0..<40 {
            let delay = backoff.delay(attempt: attempt)
            #expect(delay >= .milliseconds(50))
            #expect(delay <= .seconds(2))
        }
        #expect(backoff.delay(attempt: 0) <= .milliseconds(100))
    }

    @Test("multi-row VALUES and unnest statements have the same shape")
    func batchStatements() {
        let rows = [BatchInsert.row(HopFixtures.unit(prefix: "p-", index: 1).hop),
                    BatchInsert.row(HopFixtures.unit(prefix: "p-", index: 2).hop)]
        let unnest = BatchInsert.hops.statement(rows: rows, style: .unnest, conflicts: .skipAndReturnKeys)
        let values = BatchInsert.hops.statement(rows: rows, style: .multiRowValues, conflicts: .skipAndReturnKeys)
        #expect(unnest.parameters.count == 16)
        #expect(unnest.sql.contains("unnest($1::text[]"))
        #expect(values.parameters.count == 32)
        #expect(values.sql.contains("($17::text"))
        #expect(unnest.prepare && !values.prepare)
        let suffix = " ON CONFLICT DO NOTHING RETURNING query_id, stage, tier, attempt"
        #expect(unnest.sql.hasSuffix(suffix) && values.sql.hasSuffix(suffix))
    }

    @Test("the plain insert has no conflict clause and returns nothing; otherwise it is the same statement")
    func plainBatchStatements() {
        let rows = [BatchInsert.row(HopFixtures.unit(prefix: "p-", index: 1).hop)]
        for style in [BatchInsert.Style.unnest, .multiRowValues] {
            let plain = BatchInsert.hops.statement(rows: rows, style: style, conflicts: .fail)
            let skipping = BatchInsert.hops.statement(rows: rows, style: style, conflicts: .skipAndReturnKeys)
            #expect(!plain.sql.contains("ON CONFLICT") && !plain.sql.contains("RETURNING"))
            #expect(skipping.sql.hasPrefix(plain.sql) && skipping.sql.count > plain.sql.count)
            #expect(plain.parameters.count == skipping.parameters.count)
        }
    }
}
