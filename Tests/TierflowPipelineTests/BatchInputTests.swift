import Foundation
import Testing
import TierflowCore
import TierflowPipeline

/// Reading batch exports: CSV records, mappings, bad lines with their numbers, resume offsets, identities.
@Suite("Batch input")
struct BatchInputTests {
    static func write(_ text: String, ext: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("batch-\(UUID().uuidString).\(ext)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func drain(_ source: BatchSource) throws -> [BatchItem] {
        var items: [BatchItem] = []
        while let item = try source.next() { items.append(item) }
        return items
    }

    @Test func csvFieldsWithQuotesCommasAndLineBreaks() {
        #expect(CSVRecordParser.parse(#"a,"b, c","say ""hi""",,d"#) == .fields(["a", "b, c", #"say "hi""#, "", "d"]))
        #expect(CSVRecordParser.parse(#"a,"open"#) == .incomplete)
        #expect(CSVRecordParser.parse("a,\"two\nlines\",c") == .fields(["a", "two\nlines", "c"]))
        if case .invalid = CSVRecordParser.parse(#"a,"b"x,c"#) {} else { Issue.record("text after a closing quote must be invalid") }
        if case .invalid = CSVRecordParser.parse(#"a,b"c"#) {} else { Issue.record("a bare quote must be invalid") }
    }

    @Test func malformedLinesAreReportedWithTheirLineNumbersAndSkipped() throws {
        let path = try Self.write(
            """
            timestamp,tag,type,description,sev
            2024-05-01 00:00:20,FIR123,L,FLW COND CW LOW ALM,high
            2024-05-01 00:00:30,FIR123,L,"multi
            line text",low
            2024-05-01 00:00:40,FIR123,L,too,many,columns
            2024-05-01 00:00:50,FIR123,L,BAD SEVERITY,purple

            2024-05-01 00:01:00,TIC101,H,"TEMP ""HIGH"" ALM",4
            """, ext: "csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let mapping = try BatchMapping.flags(
            map: ["alarm_type=type", "message=description", "asset=tag", "severity=sev"], set: ["site=tep"])
        let items = try Self.drain(BatchSource(path: path, format: .csv, mapping: mapping))
        #expect(items.map(\.line) == [2, 3, 5, 6, 8])
        let good = items.compactMap { try? $0.record.get() }
        #expect(good.map(\.event.message) == ["FLW COND CW LOW ALM", "multi\nline text", #"TEMP "HIGH" ALM"#])
        #expect(good.last?.event.severity == .critical)
        #expect(good.first?.event.site == "tep")
        #expect(good.first?.event.asset == "FIR123")
        let bad = items.compactMap { item -> BatchInputError? in
            if case .failure(let error) = item.record { return error }
            return nil
        }
        #expect(bad.map(\.line) == [5, 6])
        #expect(bad[0].description == "\(path):5: 6 columns; the header has 5")
        #expect(bad[1].message.hasPrefix("severity: \"purple\""))
    }

    @Test func resumingAtACommittedOffsetReadsTheRestOnly() throws {
        let path = try Self.write("a\n{\"x\":1}\nb\r\nc", ext: "jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let mapping = try BatchMapping.flags(map: [], set: ["site=s", "asset=a", "severity=low"])
        let all = try Self.drain(BatchSource(path: path, format: .jsonl, mapping: mapping))
        #expect(all.map(\.line) == [1, 2, 3, 4])
        let second = all[1]
        let rest = try Self.drain(BatchSource(path: path, format: .jsonl, mapping: mapping, offset: second.endOffset, line: second.nextLine))
        #expect(rest.map(\.line) == [3, 4])
        #expect(rest.last?.endOffset == Int64("a\n{\"x\":1}\nb\r\nc".utf8.count))
        #expect(try BatchFileReader.countLines(path: path) == 4)
    }

    @Test func jsonLinesUseDottedPathsAndSensorValues() throws {
        let line = #"{"type": "fault_event", "body": {"event_id": "e1", "site": "plant-a", "asset": "P-1", "severity": "warning", "message": "PRESS LOW", "values": {"p_bar": 2.5}}, "old": "M013 Condenser Plugged"}"#
        let path = try Self.write(line + "\nnot json\n", ext: "jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var columns: [String: String] = [:]
        for field in ["event_id", "site", "asset", "severity", "message", "values"] { columns[field] = "body.\(field)" }
        columns["previous"] = "old"
        let mapping = try BatchMapping(columns: columns)
        let items = try Self.drain(BatchSource(path: path, format: .jsonl, mapping: mapping))
        let record = try items[0].record.get()
        #expect(record.event.values == ["p_bar": 2.5])
        #expect(record.event.severity == .medium)
        #expect(record.sourceId == "e1")
        #expect(record.previous == "M013 Condenser Plugged")
        if case .failure(let error) = items[1].record {
            #expect(error.line == 2)
            #expect(error.code == .malformedLine)
        } else {
            Issue.record("line 2 is not JSON")
        }
    }

    @Test func aMappingThatCannotWorkIsRefusedBeforeAnyLine() throws {
        let path = try Self.write("tag,description\nFIR123,LOW ALM\n", ext: "csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: BatchInputError.self) { try BatchSource(path: path, format: .csv, mapping: BatchMapping()) }
        #expect(throws: BatchInputError.self) { try BatchMapping.flags(map: ["colour=tag"], set: []) }
        let mappingFile = try Self.write("map:\n  message: description\n  nonsense: x\n", ext: "yaml")
        defer { try? FileManager.default.removeItem(atPath: mappingFile) }
        do {
            _ = try BatchMapping.load(path: mappingFile)
            Issue.record("an unknown field must be refused")
        } catch let error as ConfigError {
            #expect(error.line == 3)
        }
    }

    @Test func identicalEventsShareOneQueryWithinABatchOnly() {
        let event = FaultEvent(eventId: "1", site: "s", asset: "a", tag: "T1", severity: .low, message: "LOW ALM", timestamp: "2024-01-01")
        var repeatEvent = event
        repeatEvent.eventId = "2"
        repeatEvent.timestamp = "2024-02-01"
        var other = event
        other.message = "HIGH ALM"
        let id = BatchQueryIdentity.queryId(batchId: "b1", event: event)
        #expect(id == BatchQueryIdentity.queryId(batchId: "b1", event: repeatEvent))
        #expect(id != BatchQueryIdentity.queryId(batchId: "b1", event: other))
        #expect(id != BatchQueryIdentity.queryId(batchId: "b2", event: event))
    }

    @Test func previousDiagnosesCompareLeniently() {
        #expect(!DiagnosisComparison.changed(previous: "Oil Analysis", answer: "Schedule an oil analysis of the compressor."))
        #expect(!DiagnosisComparison.changed(previous: "M013", answer: "Fault M013: the condenser is plugged."))
        #expect(DiagnosisComparison.changed(previous: "Refrigerant Leak", answer: "The motor bearing has failed; replace it."))
    }
}
