import Foundation

/// A value in an AMQP field table: message headers and queue, exchange and binding arguments.
///
/// Integers of every AMQP width arrive as ``int(_:)``; long strings that are not valid UTF-8 arrive as
/// ``bytes(_:)``. Tables and arrays appear in broker headers such as `x-death`.
public enum AMQPHeaderValue: Sendable, Hashable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case double(Double)
    case bytes([UInt8])
    /// An AMQP timestamp (whole seconds).
    case timestamp(Date)
    case array([AMQPHeaderValue])
    case table([String: AMQPHeaderValue])
    case void

    /// The text, when this is a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The number, when this is an integer or a string holding one (some publishers send numbers as text).
    public var intValue: Int64? {
        switch self {
        case .int(let value): value
        case .string(let text): Int64(text)
        default: nil
        }
    }

    /// The flag, when this is a boolean.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The number, when this is a double or an integer.
    public var doubleValue: Double? {
        switch self {
        case .double(let value): value
        case .int(let value): Double(value)
        default: nil
        }
    }
}

extension AMQPHeaderValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
}
