import CRabbitMQ
import Foundation

/// Converts between `[String: AMQPHeaderValue]` and rabbitmq-c's `amqp_table_t`.
enum FieldTableCodec {
    /// A C table whose memory lives in `arena` (valid until the arena is reset).
    static func encode(_ table: [String: AMQPHeaderValue], in arena: CArena) -> amqp_table_t {
        guard !table.isEmpty else { return amqp_table_t(num_entries: 0, entries: nil) }
        let entries = arena.allocate(amqp_table_entry_t.self, count: table.count)
        // Sorted keys: the same headers always encode to the same bytes.
        for (index, key) in table.keys.sorted().enumerated() {
            (entries + index).initialize(to: amqp_table_entry_t(key: arena.bytes(key), value: encode(table[key]!, in: arena)))
        }
        return amqp_table_t(num_entries: Int32(table.count), entries: entries)
    }

    static func encode(_ value: AMQPHeaderValue, in arena: CArena) -> amqp_field_value_t {
        var field = amqp_field_value_t()
        switch value {
        case .string(let text):
            field.kind = kind(AMQP_FIELD_KIND_UTF8)
            field.value.bytes = arena.bytes(text)
        case .int(let number):
            field.kind = kind(AMQP_FIELD_KIND_I64)
            field.value.i64 = number
        case .bool(let flag):
            field.kind = kind(AMQP_FIELD_KIND_BOOLEAN)
            field.value.boolean = flag ? 1 : 0
        case .double(let number):
            field.kind = kind(AMQP_FIELD_KIND_F64)
            field.value.f64 = number
        case .bytes(let bytes):
            field.kind = kind(AMQP_FIELD_KIND_BYTES)
            field.value.bytes = arena.bytes(bytes)
        case .timestamp(let date):
            field.kind = kind(AMQP_FIELD_KIND_TIMESTAMP)
            field.value.u64 = UInt64(max(0, date.timeIntervalSince1970.rounded(.down)))
        case .array(let values):
            field.kind = kind(AMQP_FIELD_KIND_ARRAY)
            let entries = arena.allocate(amqp_field_value_t.self, count: values.count)
            for (index, element) in values.enumerated() { (entries + index).initialize(to: encode(element, in: arena)) }
            field.value.array = amqp_array_t(num_entries: Int32(values.count), entries: values.isEmpty ? nil : entries)
        case .table(let nested):
            field.kind = kind(AMQP_FIELD_KIND_TABLE)
            field.value.table = encode(nested, in: arena)
        case .void:
            field.kind = kind(AMQP_FIELD_KIND_VOID)
        }
        return field
    }

    /// A Swift copy of a C table (call before the connection's buffers are released).
    static func decode(_ table: amqp_table_t) -> [String: AMQPHeaderValue] {
        guard table.num_entries > 0, let entries = table.entries else { return [:] }
        var result: [String: AMQPHeaderValue] = [:]
        result.reserveCapacity(Int(table.num_entries))
        for index in 0..<Int(table.num_entries) {
            let entry = entries[index]
            result[entry.key.string] = decode(entry.value)
        }
        return result
    }

    static func decode(_ field: amqp_field_value_t) -> AMQPHeaderValue {
        switch UInt32(field.kind) {
        case AMQP_FIELD_KIND_BOOLEAN.rawValue: .bool(field.value.boolean != 0)
        case AMQP_FIELD_KIND_I8.rawValue: .int(Int64(field.value.i8))
        case AMQP_FIELD_KIND_U8.rawValue: .int(Int64(field.value.u8))
        case AMQP_FIELD_KIND_I16.rawValue: .int(Int64(field.value.i16))
        case AMQP_FIELD_KIND_U16.rawValue: .int(Int64(field.value.u16))
        case AMQP_FIELD_KIND_I32.rawValue: .int(Int64(field.value.i32))
        case AMQP_FIELD_KIND_U32.rawValue: .int(Int64(field.value.u32))
        case AMQP_FIELD_KIND_I64.rawValue: .int(field.value.i64)
        case AMQP_FIELD_KIND_U64.rawValue:
            field.value.u64 <= UInt64(Int64.max) ? .int(Int64(field.value.u64)) : .string(String(field.value.u64))
        case AMQP_FIELD_KIND_F32.rawValue: .double(Double(field.value.f32))
        case AMQP_FIELD_KIND_F64.rawValue: .double(field.value.f64)
        case AMQP_FIELD_KIND_DECIMAL.rawValue:
            .double(Double(field.value.decimal.value) / pow(10, Double(field.value.decimal.decimals)))
        case AMQP_FIELD_KIND_UTF8.rawValue:
            field.value.bytes.validString.map(AMQPHeaderValue.string) ?? .bytes(field.value.bytes.array)
        case AMQP_FIELD_KIND_BYTES.rawValue: .bytes(field.value.bytes.array)
        case AMQP_FIELD_KIND_TIMESTAMP.rawValue:
            .timestamp(Date(timeIntervalSince1970: TimeInterval(field.value.u64)))
        case AMQP_FIELD_KIND_ARRAY.rawValue:
            .array(
                field.value.array.entries.map { entries in
                    (0..<Int(field.value.array.num_entries)).map { decode(entries[$0]) }
                } ?? [])
        case AMQP_FIELD_KIND_TABLE.rawValue: .table(decode(field.value.table))
        default: .void
        }
    }

    private static func kind(_ value: amqp_field_value_kind_t) -> UInt8 { UInt8(value.rawValue) }
}
