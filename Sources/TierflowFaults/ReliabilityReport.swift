import Foundation

/// The suite's findings, written as RELIABILITY.md.
public struct ReliabilityReport: Sendable {
    public var started: Date
    public var elapsed: TimeInterval
    public var quick: Bool
    public var rate: Double
    public var duration: Double
    public var scenarios: [ScenarioReport]
    public var secretScan: SecurityChecks.SecretScan
    public var sqlFindings: [SQLInterpolationScan.Finding]

    /// Whether every scenario passed and the security checks found nothing.
    public var passed: Bool {
        scenarios.allSatisfy(\.passed) && secretScan.hits.isEmpty && !sqlFindings.contains { !$0.allowed }
    }

    /// Totals over every scenario.
    public var totals: (queries: Int, lost: Int, duplicated: Int, unexpected: Int, deadLettered: Int) {
        scenarios.reduce((0, 0, 0, 0, 0)) {
            ($0.0 + $1.counts.queries, $0.1 + $1.counts.lost, $0.2 + $1.counts.duplicated, $0.3 + $1.counts.unexpected, $0.4 + $1.counts.deadLettered)
        }
    }

    /// One line per scenario and the verdict, for the terminal.
    public var summary: String {
        var lines = scenarios.map { "\($0.name): \($0.summary)" }
        lines.append("secrets: \(secretScan.hits.isEmpty ? "none found" : secretScan.hits.joined(separator: "; "))")
        let unallowed = sqlFindings.filter { !$0.allowed }
        lines.append("interpolated SQL outside the allow-list: \(unallowed.isEmpty ? "none" : unallowed.map(\.description).joined(separator: "; "))")
        let total = totals
        lines.append(
            "faults: \(scenarios.filter(\.passed).count) passed, \(scenarios.filter { !$0.passed }.count) failed"
                + " (queries \(total.queries), lost \(total.lost), duplicated \(total.duplicated), unexpected \(total.unexpected))")
        return lines.joined(separator: "\n")
    }

    public func markdown(command: String) -> String {
        let date = ISO8601DateFormatter().string(from: started)
        let total = totals
        var out = """
            # Reliability

            Written by the fault-injection suite (`\(command)`, docs/faults.md) on \(date), \(quick ? "shortened form" : "full suite"),
            in \(String(format: "%.0f", elapsed / 60)) min. Verdict: **\(passed ? "PASS" : "FAIL")** — \(scenarios.filter(\.passed).count) of \(scenarios.count) scenarios passed;
            over all of them \(total.queries) queries, \(total.lost) lost, \(total.duplicated) duplicated, \(total.unexpected) unexpected.

            Every scenario runs the six worker processes (layer0, router, evaluator with the dead-letter recorder, and
            one worker per tier edge/gpu/cloud) on a RabbitMQ and PostgreSQL of the suite's own, in a fresh namespace,
            under steady load of \(String(format: "%.0f", rate)) fault events/s for \(String(format: "%.0f", duration)) s with the simulated backend
            (5% of events published twice; the backend scenarios put the edge tier on a misbehaving HTTP server).
            The fault is injected, the pipeline recovers, and the **ledger** is checked: every confirmed query id must end
            with exactly one `results` row or exactly one `dead_letters` row with a reason; poison messages must end as a
            dead letter with a reason.

            - **queries**: query ids the broker confirmed (repeats of an event count once); **poison**: messages that
              must be dead-lettered.
            - **lost**: no ending; **duplicated**: more than one ending; **unexpected**: a result or dead letter in the
              scenario's scope that nothing submitted explains. All three must be 0.
            - **dead-lettered**: dead letters in the scenario (poison included).
            - **recovery**: from the end of the fault (for kill -9, the last restart; for the backends, when the scripted
              failures were used up or the load ended) until every query *sent* by then — confirmed or still held up
              by the fault — had its ending, polled every 250 ms. It includes working off the backlog the fault built
              up; "0.0 s" means everything had ended by the time the fault was declared over.

            Every result message a subscriber to the results exchange receives must also say what the stored result
            says (tier, `ended_by`, answer). The pipeline bug this suite found, and its fix, are in docs/faults.md
            ("Found by the suite").

            | scenario | fault | queries | poison | lost | duplicated | unexpected | dead-lettered | recovery | result |
            | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |

            """
        for s in scenarios {
            let recovery = s.recoverySeconds.map { String(format: "%.1f s", $0) } ?? "—"
            out += "| `\(s.name)` | \(s.title) | \(s.counts.queries) | \(s.counts.poison) | \(s.counts.lost) | \(s.counts.duplicated) | "
            out += "\(s.counts.unexpected) | \(s.counts.deadLettered) | \(recovery) | \(s.passed ? "pass" : "**FAIL**") |\n"
        }
        out += "\n## Scenario notes\n\n"
        for s in scenarios {
            out += "- `\(s.name)` (\(String(format: "%.0f", s.elapsedSeconds)) s"
            if let fault = s.faultSeconds { out += String(format: ", fault lasted %.1f s", fault) }
            out += "): "
            var parts = s.notes
            if !s.counts.deadLetterReasons.isEmpty {
                parts.append("dead-letter reasons: " + s.counts.deadLetterReasons.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: "; "))
            }
            if s.counts.queriesDeadLettered > 0 { parts.append("\(s.counts.queriesDeadLettered) ordinary queries ended as dead letters") }
            if !s.counts.lostSample.isEmpty { parts.append("lost e.g. \(s.counts.lostSample.joined(separator: ", "))") }
            if !s.counts.duplicatedSample.isEmpty { parts.append("duplicated e.g. \(s.counts.duplicatedSample.joined(separator: ", "))") }
            if !s.counts.unexpectedSample.isEmpty { parts.append("unexpected e.g. \(s.counts.unexpectedSample.joined(separator: ", "))") }
            if !s.failures.isEmpty { parts.append("**failed checks: " + s.failures.joined(separator: "; ") + "**") }
            out += parts.joined(separator: ". ") + "\n"
        }

        out += """

            ## Security checks

            - **Secrets in logs and the hop log**: recognisable secret values were placed in the workers' configuration
              (\(secretScan.secrets.joined(separator: "; "))). \(secretScan.filesScanned) log files
              (\(secretScan.bytesScanned / 1024) KiB: every worker's log of every scenario and the suite's own) and the
              tables \(secretScan.tablesScanned.joined(separator: ", ")) were searched for each value:
              \(secretScan.hits.isEmpty ? "**none found**" : "**FOUND: " + secretScan.hits.joined(separator: "; ") + "**").
            - **Least privilege**: see the `security` scenario's notes — statements a worker must not run were tried as
              the worker role (each inside a transaction that is rolled back) and must fail with 42501; the workers' live
              database sessions and broker connections must all use the worker role/user.
            - **Payload size limits**: a message one byte over `queues.max_message_bytes` must be dead-lettered with its
              size as the reason (`security`, `poison-messages`).
            - **SQL built only from parameters**: a lexical scan of every string literal in `Sources/` that looks like
              SQL, for interpolation. It proves that no SQL literal interpolates anything but the allow-listed
              identifiers below; it would not catch SQL assembled by `+` from non-literal pieces.

            """
        let unallowed = sqlFindings.filter { !$0.allowed }
        out += "  Found \(sqlFindings.count) interpolations in SQL literals, \(unallowed.count) outside the allow-list"
        out += unallowed.isEmpty ? ".\n" : ": **" + unallowed.map(\.description).joined(separator: "; ") + "**\n"
        var listed: Set<SQLInterpolationScan.Finding> = []
        for finding in sqlFindings where finding.allowed && listed.insert(finding).inserted {
            let why = SQLInterpolationScan.allowList.first { finding.file.hasSuffix($0.key) }?.value[finding.expression] ?? ""
            out += "  - `\(finding.file):\(finding.line)` `\\(\(finding.expression))`: \(why)\n"
        }
        return out
    }
}
