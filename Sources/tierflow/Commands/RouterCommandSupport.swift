import ArgumentParser
import Foundation
import TierflowPipeline

/// What the `tierflow router` subcommands share: reading datasets, parsing lists and prices.
enum RouterCommandSupport {
    /// Reads routing datasets; prints every bad line with its number and stops unless `skipBadLines`.
    static func readDatasets(_ paths: [String], skipBadLines: Bool) throws -> [RoutingExample] {
        var examples: [RoutingExample] = []
        var bad = 0
        for path in paths {
            let result: RoutingDatasetReader.Result
            do {
                result = try RoutingDatasetReader().read(path: path)
            } catch {
                throw ValidationError("\(error)")
            }
            for error in result.errors.prefix(50) { standardError("\(error)") }
            if result.errors.count > 50 { standardError("\(path): … and \(result.errors.count - 50) more bad lines") }
            bad += result.errors.count
            examples += result.examples
        }
        if bad > 0 && !skipBadLines {
            standardError("error: \(bad) bad line(s); nothing done (use --skip-bad-lines to use the good ones)")
            throw ExitCode(1)
        }
        return examples
    }

    /// `a,b,c` → `["a", "b", "c"]` (blank items dropped).
    static func list(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `name=value,…` → pairs, in order; throws on a malformed item.
    static func assignments(_ text: String, what: String) throws -> [(String, String)] {
        try list(text).map { item in
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("\(what): expected name=value, got \"\(item)\"")
            }
            return (parts[0], parts[1])
        }
    }

    /// Prices per 1M tokens: `model=input/output` or `model=blended`, by model.
    static func prices(_ text: String) throws -> [String: (input: Double, output: Double)] {
        var prices: [String: (input: Double, output: Double)] = [:]
        for (model, value) in try assignments(text, what: "--prices") {
            let parts = value.split(separator: "/").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard let first = parts.first.flatMap({ $0 }), parts.count <= 2, parts.allSatisfy({ ($0 ?? -1) >= 0 }) else {
                throw ValidationError("--prices: \(model)=\(value) is not input/output USD per 1M tokens")
            }
            prices[model] = (first, parts.count == 2 ? parts[1]! : first)
        }
        return prices
    }

    /// Writes a line to standard error.
    static func standardError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// A fixed-width number.
    static func format(_ value: Double?, _ digits: Int = 3) -> String {
        guard let value, value.isFinite else { return "—" }
        return String(format: "%.\(digits)f", value)
    }

    /// A share as a percentage.
    static func percent(_ value: Double?) -> String {
        guard let value else { return "never" }
        return String(format: "%.1f%%", value * 100)
    }
}
