import Foundation

/// One `NNN_name.sql` file of a migrations directory.
struct MigrationFile: Sendable {
    var version: Int
    var name: String
    var bytes: [UInt8]
    var sql: String

    /// The `.sql` files of `directory` whose names start with a number, sorted by that number.
    static func load(directory: URL) throws -> [MigrationFile] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw PostgresError(
                code: .invalidMigration, message: "cannot read migrations directory \(directory.path): \(error)",
                context: ["migration.directory": directory.path])
        }
        var files: [MigrationFile] = []
        for name in names.sorted() where name.hasSuffix(".sql") {
            guard let underscore = name.firstIndex(of: "_"), let version = Int(name[..<underscore]) else {
                throw PostgresError(
                    code: .invalidMigration, message: "migration file \(name) is not named NNN_name.sql",
                    context: ["migration.file": name])
            }
            if let clash = files.first(where: { $0.version == version }) {
                throw PostgresError(
                    code: .invalidMigration, message: "migrations \(clash.name) and \(name) share version \(version)",
                    context: ["migration.file": name])
            }
            let path = directory.appendingPathComponent(name).path
            guard let data = FileManager.default.contents(atPath: path), let sql = String(data: data, encoding: .utf8) else {
                throw PostgresError(
                    code: .invalidMigration, message: "cannot read migration \(name) as UTF-8",
                    context: ["migration.file": name])
            }
            files.append(MigrationFile(version: version, name: name, bytes: Array(data), sql: sql))
        }
        return files.sorted { $0.version < $1.version }
    }

    /// `error` from running this file, turned into a `migrationFailed` error naming the file and line.
    func failure(_ error: PostgresError) -> PostgresError {
        var context = error.context
        context["db.statement"] = nil
        context["migration.file"] = name
        var location = ""
        if let position = error.context["db.position"].flatMap(Int.init), position > 0 {
            let (line, column) = lineAndColumn(ofCharacter: position)
            context["migration.line"] = "\(line)"
            context["migration.column"] = "\(column)"
            location = " at line \(line), column \(column)"
        }
        return PostgresError(
            code: error.code == .connectionLost ? .connectionLost : .migrationFailed,
            message: "migration \(name) failed\(location): \(error.message)", sqlState: error.sqlState,
            detail: error.detail, context: context)
    }

    /// PostgreSQL positions count characters (code points) from 1.
    private func lineAndColumn(ofCharacter position: Int) -> (Int, Int) {
        var line = 1
        var column = 1
        for (index, scalar) in sql.unicodeScalars.enumerated() {
            if index == position - 1 { break }
            if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }
}
