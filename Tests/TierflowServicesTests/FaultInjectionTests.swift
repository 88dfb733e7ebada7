import Foundation
import Testing
@testable import TierflowFaults

@testable import TierflowServices

/// The crash-point hook's configuration and the suite's static checks (no services needed).
@Suite("Fault injection")
struct FaultInjectionTests {
    @Test func crashPointsParse() throws {
        #expect(try FaultInjection.parse("") == nil)
        #expect(try FaultInjection.parse("after-commit:3")! == (.afterCommit, 3))
        #expect(try FaultInjection.parse("before-ack")! == (.beforeAck, 1))
        #expect(try FaultInjection.parse(" after-llm:12 ")! == (.afterLLM, 12))
        #expect(throws: FaultInjection.ParseError.self) { try FaultInjection.parse("after-lunch:1") }
        #expect(throws: FaultInjection.ParseError.self) { try FaultInjection.parse("after-publish:0") }
        #expect(throws: FaultInjection.ParseError.self) { try FaultInjection.parse("after-publish:x") }
    }

    @Test func unsetVariableArmsNothing() throws {
        #expect(try FaultInjection.arm(environment: [:]) == nil)
        FaultInjection.reach(.afterCommit)  // inert: the test process is still here
    }

    @Test func everyScenarioHasAUniqueNameAndTheQuickSubsetIsSmall() {
        let names = FaultScenario.all.map(\.name)
        #expect(Set(names).count == names.count)
        let quick = FaultScenario.all.filter(\.quick)
        #expect(quick.count >= 5 && quick.count < names.count)
    }

    /// No SQL literal in Sources/ interpolates a value: only the allow-listed identifiers.
    @Test func sqlIsBuiltFromParametersOnly() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources").standardized
        let findings = try SQLInterpolationScan(root: sources).run()
        #expect(!findings.isEmpty, "the scan sees the allow-listed interpolations")
        #expect(findings.filter { !$0.allowed }.isEmpty, "\(findings.filter { !$0.allowed })")
    }

    @Test func scanFindsAnInterpolatedValue() {
        let source = ##"""
            let a = "SELECT * FROM results WHERE query_id = \(id)"
            let b = """
                UPDATE hops SET decision = '\(decision)'
                WHERE query_id = $1
                """
            let c = "no sql here \(id)"
            // "SELECT \(commented)"
            let d = #"DELETE FROM hops WHERE query_id = '\#(raw)'"#
            """##
        let findings = SQLInterpolationScan.scan(source, file: "Example.swift")
        #expect(findings.map(\.expression) == ["id", "decision", "raw"])
        #expect(findings.allSatisfy { !$0.allowed })
    }
}
