extension Double {
    /// The value with exactly `digits` decimals (`0.5.fixed(2)` is `"0.50"`), as `%.Nf` writes it for the values
    /// a reason string holds. Pure Swift: `String(format:)` goes through `NSString` on Linux, once per routed query.
    public func fixed(_ digits: Int) -> String {
        guard isFinite else { return isNaN ? "nan" : (self < 0 ? "-inf" : "inf") }
        let digits = Swift.max(0, Swift.min(digits, 15))
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (Swift.abs(self) * scale).rounded(.toNearestOrEven)  // printf rounds exact ties to even
        guard scaled < 9.0e18 else { return description }
        let units = UInt64(scaled)
        let whole = units / UInt64(scale)
        var text = (sign == .minus ? "-" : "") + String(whole)  // printf keeps the sign of -0.004 as "-0.00"
        if digits > 0 {
            let fraction = String(units % UInt64(scale))
            text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return text
    }
}
