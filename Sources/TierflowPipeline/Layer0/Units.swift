/// Units of measure Layer 0 recognises after a number, with the canonical spelling each one compares as
/// (so "93 °C", "93°C" and "93 degrees Celsius" agree, and "93 °C" never matches "39 °C").
enum Units {
    private static let table: [(spelling: [UInt8], canonical: String)] = {
        let pairs: [(String, String)] = [
            ("degrees celsius", "°c"), ("degrees fahrenheit", "°f"), ("degree celsius", "°c"), ("degrees c", "°c"),
            ("degrees f", "°f"), ("deg c", "°c"), ("deg f", "°f"), ("celsius", "°c"), ("fahrenheit", "°f"), ("°c", "°c"),
            ("°f", "°f"), ("degc", "°c"), ("degf", "°f"), ("degrees", "°"), ("deg", "°"), ("°", "°"), ("kelvin", "k"),
            ("percent", "%"), ("pct", "%"), ("%", "%"), ("mbar", "mbar"), ("barg", "bar"), ("bara", "bar"), ("bar", "bar"),
            ("psig", "psi"), ("psia", "psi"), ("psi", "psi"), ("kpa", "kpa"), ("mpa", "mpa"), ("pa", "pa"), ("rpm", "rpm"),
            ("khz", "khz"), ("hz", "hz"), ("kwh", "kwh"), ("kw", "kw"), ("mw", "mw"), ("kva", "kva"), ("kv", "kv"),
            ("mv", "mv"), ("volts", "v"), ("volt", "v"), ("v", "v"), ("amps", "a"), ("amp", "a"), ("ma", "ma"),
            ("ka", "ka"), ("a", "a"), ("mm/s", "mm/s"), ("in/s", "in/s"), ("l/min", "l/min"), ("lpm", "l/min"),
            ("gpm", "gpm"), ("m3/h", "m3/h"), ("m³/h", "m3/h"), ("microns", "µm"), ("micron", "µm"), ("µm", "µm"),
            ("um", "µm"), ("mm", "mm"), ("cm", "cm"), ("m", "m"), ("db", "db"), ("ppm", "ppm"), ("nm", "nm"),
            ("kg", "kg"), ("g", "g"), ("ms", "ms"), ("seconds", "s"), ("second", "s"), ("secs", "s"), ("sec", "s"),
            ("s", "s"), ("minutes", "min"), ("minute", "min"), ("mins", "min"), ("min", "min"), ("hours", "h"),
            ("hour", "h"), ("hrs", "h"), ("hr", "h"), ("h", "h"), ("days", "d"), ("day", "d"), ("w", "w"), ("c", "°c"),
            ("f", "°f"), ("k", "k"),
        ]
        return pairs.map { (Array($0.0.utf8), $0.1) }.sorted { $0.spelling.count > $1.spelling.count }
    }()

    /// The unit spelled at `start` (case-insensitive, longest first) and the index after it, when the unit
    /// is not followed by more letters or digits.
    static func match(_ bytes: [UInt8], at start: Int) -> (String, Int)? {
        for (spelling, canonical) in table where start + spelling.count <= bytes.count {
            var matches = true
            for (offset, expected) in spelling.enumerated() {
                var byte = bytes[start + offset]
                if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { byte += 32 }
                if byte != expected { matches = false; break }
            }
            guard matches else { continue }
            let end = start + spelling.count
            if end < bytes.count, bytes[end].isASCIIAlphanumeric || bytes[end] >= 0x80 { continue }
            return (canonical, end)
        }
        return nil
    }
}
