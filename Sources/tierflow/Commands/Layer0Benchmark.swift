import Foundation
import TierflowCore
import TierflowPipeline

/// The measurements behind `tierflow kb bench`: synthetic knowledge bases, their build time and memory,
/// and the latency of lookups (query analysis included) one after another on the calling thread.
enum Layer0Benchmark {
    struct Result: Sendable {
        var name: String
        var entries: Int
        var buildSeconds: Double
        var rssBytes: Int
        /// Wall-clock time of each lookup, sorted.
        var micros: [Double]
        /// CPU time of the thread during each lookup, sorted (what one core spends, whatever else runs).
        var cpuMicros: [Double]
        var hits: Int

        func quantile(_ q: Double, of values: [Double]? = nil) -> Double {
            let values = values ?? micros
            guard !values.isEmpty else { return .nan }
            let rank = min(values.count - 1, max(0, Int((q * Double(values.count)).rounded(.up)) - 1))
            return values[rank]
        }

        var perHundredThousand: Double { Double(rssBytes) * 100_000 / Double(max(1, entries)) }

        var text: String {
            String(
                format: "%@: %d entries, built in %.1f s, RSS +%.0f MB (%.0f MB per 100k); lookup wall p50 %.1f µs, p99 %.1f µs, p99.9 %.1f µs, max %.0f µs; CPU p50 %.1f µs, p99 %.1f µs, p99.9 %.1f µs; %d/%d hits",
                name, entries, buildSeconds, Double(rssBytes) / 1e6, perHundredThousand / 1e6, quantile(0.5), quantile(0.99),
                quantile(0.999), micros.last ?? 0, quantile(0.5, of: cpuMicros), quantile(0.99, of: cpuMicros),
                quantile(0.999, of: cpuMicros), hits, micros.count)
        }

        static let markdownHeader = """
            | knowledge base | entries | build | memory (RSS growth) | per 100k entries | lookup wall p50 / p99 / p99.9 | lookup CPU p50 / p99 / p99.9 | hits |
            |---|---|---|---|---|---|---|---|
            """

        var markdownRow: String {
            String(
                format: "| %@ | %d | %.1f s | %.0f MB | %.0f MB | %.1f / %.1f / %.1f µs | %.1f / %.1f / %.1f µs | %d / %d |",
                name, entries, buildSeconds, Double(rssBytes) / 1e6, perHundredThousand / 1e6, quantile(0.5), quantile(0.99),
                quantile(0.999), quantile(0.5, of: cpuMicros), quantile(0.99, of: cpuMicros), quantile(0.999, of: cpuMicros),
                hits, micros.count)
        }
    }

    /// Builds the entries (their memory counts: a Layer 0 process holds them) and the index, then times
    /// `queries` one after another.
    static func run(name: String, entries: () -> [KnowledgeEntry], queries: [QueryPayload]) -> Result {
        let before = residentBytes()
        let clock = ContinuousClock()
        let start = clock.now
        let matcher = Layer0Matcher(entries: entries())
        let build = seconds(clock.now - start)
        let rss = residentBytes() - before
        let now = Date()
        let settings = Layer0Matcher.Settings()
        for payload in queries.prefix(200) { _ = matcher.match(payload, settings: settings, now: now) }  // warm-up
        var micros: [Double] = []
        var cpuMicros: [Double] = []
        micros.reserveCapacity(queries.count)
        cpuMicros.reserveCapacity(queries.count)
        var hits = 0
        for payload in queries {
            let cpuStarted = threadCPUMicros()
            let started = clock.now
            let match = matcher.match(payload, settings: settings, now: now)
            micros.append(seconds(clock.now - started) * 1e6)
            cpuMicros.append(threadCPUMicros() - cpuStarted)
            if match != nil { hits += 1 }
        }
        micros.sort()
        cpuMicros.sort()
        return Result(
            name: name, entries: matcher.count, buildSeconds: build, rssBytes: rss, micros: micros, cpuMicros: cpuMicros, hits: hits)
    }

    // MARK: Knowledge bases

    /// `count` copies of `base`, copy `n` naming PLC tag `TAGn` (so each copy is its own guard group).
    static func typicalEntries(_ base: [KnowledgeEntry], count: Int) -> [KnowledgeEntry] {
        (0..<count).map { index in
            var entry = base[index % base.count]
            let copy = index / base.count
            entry.key = "bench-\(index)"
            entry.question += "\nTag: TAG\(copy)"
            entry.answer += " (\(copy))"
            return entry
        }
    }

    /// Paraphrases of random entries of ``typicalEntries(_:count:)``, with the entry's tag.
    static func typicalQueries(_ paraphrases: [Layer0Evaluation.Query], baseCount: Int, entries: Int, count: Int) -> [QueryPayload] {
        var generator = SplitMix(seed: 42)
        let byKey = Dictionary(paraphrases.compactMap { query in query.expect.map { ($0, query) } }, uniquingKeysWith: { first, _ in first })
        let keys = byKey.keys.sorted()
        let copies = max(1, entries / max(1, baseCount))
        return (0..<count).map { _ in
            let query = byKey[keys[Int(generator.next() % UInt64(keys.count))]]!
            return .chat(ChatRequest(messages: [.init(role: "user", content: query.payload.text + "\nTag: TAG\(generator.next() % UInt64(copies))")]))
        }
    }

    /// Entries of 10–18 made-up words each: no domain terms, identifiers or numbers, so one guard group.
    static func oneGroupEntries(count: Int) -> [KnowledgeEntry] {
        (0..<count).map { index in
            KnowledgeEntry(key: "group-\(index)", question: sentence(index), answer: "answer \(index)")
        }
    }

    /// Entries of ``oneGroupEntries(count:)`` with one word dropped and one added.
    static func oneGroupQueries(entries: Int, count: Int) -> [QueryPayload] {
        var generator = SplitMix(seed: 7)
        return (0..<count).map { _ in
            var words = sentence(Int(generator.next() % UInt64(entries))).split(separator: " ").map(String.init)
            words.remove(at: Int(generator.next() % UInt64(words.count)))
            words.append(word(Int(generator.next() % 5000)))
            return .chat(ChatRequest(messages: [.init(role: "user", content: words.joined(separator: " "))]))
        }
    }

    private static func sentence(_ index: Int) -> String {
        var generator = SplitMix(seed: UInt64(index) &* 0x9E37_79B9 &+ 1)
        let length = 10 + Int(generator.next() % 9)
        return (0..<length).map { _ in word(Int(generator.next() % 5000)) }.joined(separator: " ")
    }

    /// A made-up lower-case word (consonant-vowel syllables), one per number below 5000.
    private static func word(_ number: Int) -> String {
        let consonants = Array("bdfgklmprstvz")
        let vowels = Array("aeiou")
        var value = number
        var text = ""
        for _ in 0..<3 {
            text.append(consonants[value % consonants.count])
            value /= consonants.count
            text.append(vowels[value % vowels.count])
            value /= vowels.count
        }
        return text + "x"
    }

    // MARK: Support

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// CPU time this thread has used, in microseconds.
    static func threadCPUMicros() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) * 1e6 + Double(time.tv_nsec) / 1e3
    }

    /// Resident set size of this process (Linux /proc/self/statm).
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// splitmix64: a small deterministic generator for the synthetic data.
    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
