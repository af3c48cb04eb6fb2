public import OTCCore
public import OTCStore
import OTCProto
import Foundation
import PostgresNIO
import SwiftProtobuf

/// `otc.rules.v1.RulesService`: a tenant's desk-top procedures as versioned rule sets. Publishing
/// never edits a version: it adds the next one, effective at once, and decisions record it.
public struct RulesService: RPCService {
    let store: TenantStore

    public init(store: TenantStore) {
        self.store = store
    }

    static let prefix = "/otc.rules.v1.RulesService/"

    public func registerMethods(with table: inout MethodTable) {
        table.register(Self.prefix + "GetRules", access: .tenant(scope: .billingRead, role: .viewer, erpAllowed: false),
                       mutating: false, getRules)
        table.register(Self.prefix + "PublishRules", access: .tenant(scope: .billingWrite, role: .teamLead, erpAllowed: false),
                       mutating: true, publishRules)
    }

    @Sendable func getRules(_ request: Otc_Rules_V1_GetRulesRequest, _ context: CallContext) async throws -> Otc_Rules_V1_RuleSet {
        try await store.transaction(context) { tx in
            try await current(in: tx)
        }
    }

    /// Publishes the current rules with the request's sections merged in (a JSON merge patch:
    /// objects merge key by key, anything else replaces), so a change to one setting keeps the rest.
    @Sendable func publishRules(_ request: Otc_Rules_V1_PublishRulesRequest, _ context: CallContext) async throws -> Otc_Rules_V1_RuleSet {
        guard let patch = try? JSONSerialization.jsonObject(with: Data(request.bodyJson.utf8)) as? [String: Any] else {
            throw OTCError.invalidArgument("body_json must be a JSON object such as {\"billing\": {\"rounding\": \"document\"}}")
        }
        return try await store.idempotentTransaction(context) { tx in
            // The lock serialises publishers, so versions are consecutive and each merges onto the last.
            try await tx.query("LOCK TABLE rule_sets IN SHARE ROW EXCLUSIVE MODE")
            let base = try JSONSerialization.jsonObject(with: try JSONEncoder.sorted.encode(try await tx.currentRules().rules)) as? [String: Any] ?? [:]
            let merged = Self.merge(base, patch)
            let rules: TenantRules
            do {
                rules = try JSONDecoder().decode(TenantRules.self, from: try JSONSerialization.data(withJSONObject: merged))
            } catch {
                throw OTCError.invalidArgument("body_json is not a valid rule set: \(Self.describe(error))")
            }
            try rules.validate()
            let body = String(decoding: try JSONEncoder.sorted.encode(rules), as: UTF8.self)
            let rows = try await tx.query(
                """
                INSERT INTO rule_sets (version, body, note, created_by)
                SELECT coalesce(max(version), 0) + 1, \(body)::jsonb, \(request.note), \(context.principal.auditID) FROM rule_sets
                RETURNING version
                """)
            var version = 0
            for try await value in rows.decode(Int.self) { version = value }
            try await tx.audit(action: "rules.publish", entityType: "rule_set", entityID: "\(version)",
                               details: ["note": request.note, "version": "\(version)", "change": request.bodyJson])
            return try await current(in: tx)
        }
    }

    static func merge(_ base: [String: Any], _ patch: [String: Any]) -> [String: Any] {
        var result = base
        for (key, value) in patch {
            if let object = value as? [String: Any], let existing = result[key] as? [String: Any] {
                result[key] = merge(existing, object)
            } else if value is NSNull {
                result[key] = nil
            } else {
                result[key] = value
            }
        }
        return result
    }

    private func current(in tx: TenantTransaction) async throws -> Otc_Rules_V1_RuleSet {
        let versioned = try await tx.currentRules()
        var m = Otc_Rules_V1_RuleSet()
        m.version = Int32(versioned.version)
        m.bodyJson = String(decoding: try JSONEncoder.sorted.encode(versioned.rules), as: UTF8.self)
        let rows = try await tx.query(
            "SELECT effective_from, note, created_by FROM rule_sets WHERE version = \(versioned.version)")
        for try await (from, note, by) in rows.decode((Date, String, String).self) {
            m.effectiveFrom = Timestamp.string(from)
            m.note = note
            m.createdBy = by
        }
        return m
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c), DecodingError.dataCorrupted(let c):
            "\(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        case DecodingError.keyNotFound(let key, _): "missing \(key.stringValue)"
        default: "\(error)"
        }
    }
}
