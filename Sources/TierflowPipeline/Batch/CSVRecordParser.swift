/// Splits CSV (RFC 4180) records into fields: commas, double-quoted fields with `""` escapes, quoted line
/// breaks (a record may span physical lines).
public enum CSVRecordParser {
    /// The outcome of parsing one record's text.
    public enum Outcome: Sendable, Hashable {
        case fields([String])
        /// A quoted field is still open at the end: the record continues on the next physical line.
        case incomplete
        /// Not valid CSV, with the reason.
        case invalid(String)
    }

    /// Parses `text` (one record, physical lines joined with `\n`).
    public static func parse(_ text: String) -> Outcome {
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var afterQuote = false  // just closed a quoted field: only `,` may follow
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        var column = 1
        while let scalar = pending ?? iterator.next() {
            pending = nil
            defer { column += 1 }
            if inQuotes {
                if scalar == "\"" {
                    let next = iterator.next()
                    if next == "\"" {
                        field.unicodeScalars.append("\"")
                        column += 1
                    } else {
                        inQuotes = false
                        afterQuote = true
                        pending = next
                    }
                } else {
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case ",":
                fields.append(field)
                field = ""
                afterQuote = false
            case "\"" where field.isEmpty && !afterQuote:
                inQuotes = true
            default:
                if afterQuote { return .invalid("unexpected character after a closing quote (column \(column))") }
                if scalar == "\"" { return .invalid("a quote inside an unquoted field (column \(column))") }
                field.unicodeScalars.append(scalar)
            }
        }
        if inQuotes { return .incomplete }
        fields.append(field)
        return .fields(fields)
    }
}
