extension HashedFeaturizer {
    /// The structural block: bucketed length, numbers, units, code and math signs, question form,
    /// multiple-choice options, conversation turns, and for SCADA events the severity, alarm type,
    /// fault-code family and asset class.
    func structure(of query: RouterQuery, scan stats: TextStats) -> FeatureAccumulator {
        let block = FeatureAccumulator(expected: 32)
        func token(_ name: String) { block.add(index(FeatureHash.bytes(name), .structure)) }
        func bucket(_ name: String, _ value: Int) { token("\(name):\(Self.logBucket(value))") }

        token("bias")
        bucket("words", stats.words)
        bucket("bytes", stats.bytes)
        bucket("lines", stats.lines)
        bucket("numbers", stats.numbers)
        if stats.decimals > 0 { bucket("decimals", stats.decimals) }
        if stats.longNumbers > 0 { token("long-numbers") }
        if stats.units > 0 { bucket("units", stats.units) }
        if stats.codeWords + stats.codeSymbols > 0 { bucket("code", stats.codeWords + stats.codeSymbols) }
        if stats.mathSymbols > 0 { bucket("math", stats.mathSymbols) }
        if stats.questionMarks > 0 { bucket("question-marks", stats.questionMarks) }
        if stats.endsWithQuestion { token("ends-with-question") }
        if stats.optionLines >= 2 { token("options:\(min(stats.optionLines, 12))") }
        if let first = stats.firstWord, Self.questionWords.contains(first) {
            block.add(index(FeatureHash.pair(first, FeatureHash.bytes("first-word")), .structure))
        }
        if let source = query.source { token("source:\(source)") }
        if query.turns > 1 { bucket("turns", query.turns) }
        if let severity = query.severity { token("severity:\(severity.lowercased())") }
        if let alarmType = query.alarmType { token("alarm:\(alarmType.lowercased())") }
        if let code = query.faultCode {
            let family = Self.codeFamily(code)
            token("fault-family:\(family)")
            token("fault-prefix:\(code.lowercased().prefix(family.count + 1))")
        } else if query.source == "scada" {
            token("fault-code:none")
        }
        if let assetClass = query.assetClass { token("asset:\(assetClass.lowercased())") }
        if query.sensorCount > 0 { bucket("sensors", query.sensorCount) }
        return block
    }

    /// ⌊log2(value + 1)⌋, capped at 15.
    static func logBucket(_ value: Int) -> Int {
        min(15, Int.bitWidth - (max(0, value) + 1).leadingZeroBitCount - 1)
    }

    /// The leading letters of a fault code (`M001` → `m`, `HX-204` → `hx`), or `digits` when it starts with one.
    static func codeFamily(_ code: String) -> String {
        let letters = code.lowercased().prefix { $0.isLetter }
        return letters.isEmpty ? "digits" : String(letters.prefix(4))
    }

    static let questionWords: Set<UInt64> = Set([
        "what", "why", "how", "which", "who", "when", "where", "whose", "is", "are", "can", "does", "do", "should",
        "could", "would", "will", "explain", "describe", "calculate", "compute", "find", "solve", "compare", "list",
        "write", "give", "summarize", "summarise", "translate", "suppose", "if", "let", "given", "determine",
    ].map(FeatureHash.bytes))
}
