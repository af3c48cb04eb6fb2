import Crypto

/// One ordered, checksummed schema step of one module.
///
/// Each step is a list of single SQL statements run in one transaction (PostgreSQL's extended
/// protocol takes one statement at a time). A step that was applied and later edited is refused
/// by its checksum: write a new step instead.
public struct Migration: Sendable {
    public let module: String
    public let version: Int
    public let name: String
    public let statements: [String]

    public init(module: String, version: Int, name: String, statements: [String]) {
        self.module = module
        self.version = version
        self.name = name
        self.statements = statements
    }

    /// SHA-256 of the statements, hex.
    public var checksum: String {
        SecretKeeper.sha256Hex(Array(statements.joined(separator: "\n;\n").utf8))
    }
}

/// Everything a tenant schema needs, from every module, in the order modules depend on each other.
public struct TenantSchema: Sendable {
    public let migrations: [Migration]

    public init(modules: [[Migration]]) {
        self.migrations = modules.flatMap { $0 }
        var seen = Set<String>()
        for m in migrations {
            precondition(seen.insert("\(m.module)#\(m.version)").inserted, "duplicate migration \(m.module) v\(m.version)")
        }
    }

    /// Total steps: a tenant whose recorded count equals this is current.
    public var targetVersion: Int { migrations.count }
}
