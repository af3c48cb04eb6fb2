import ArgumentParser
import Foundation
import OTCClient
import OTCProto
import SwiftProtobuf

enum RulesMethods {
    static let prefix = "/otc.rules.v1.RulesService/"
    static let get = prefix + "GetRules"
    static let publish = prefix + "PublishRules"
}

/// A tenant's desk-top procedures as versioned rule sets (validation, tax codes, billing,
/// collections, SLA hours). Operators only; ERP keys cannot read or publish them.
struct RulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Show and publish the current tenant's rules.",
        discussion: """
            Edit loop: otcctl rules get --body > rules.json; edit; otcctl rules publish rules.json --note "why"
            """,
        subcommands: [Get.self, Publish.self])

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the effective rules (defaults filled in), their version and note.",
            discussion: "Version 0 means the built-in defaults: nothing has been published yet. -o json prints the RuleSet.")
        @Flag(help: "Print only the rules body as indented JSON (input for 'rules publish').") var body = false
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withSession { session in
                let rules = try await session.read(RulesMethods.get, Otc_Rules_V1_GetRulesRequest(), as: Otc_Rules_V1_RuleSet.self,
                                                   tenant: try session.requireTenant())
                if session.json && !body { return try JSONOutput.print(rules) }
                if body { return print(JSONOutput.prettyPrinted(rules.bodyJson)) }
                printRuleSet(rules)
                print("")
                print(JSONOutput.prettyPrinted(rules.bodyJson))
            }
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish a new rules version from a JSON file ('-' reads stdin); effective at once.",
            discussion: """
                The file is a JSON merge patch onto the current version: what it names changes, everything \
                else keeps its current value ({"billing": {"rounding": "document"}} changes one setting; null \
                resets a key to its default). A whole body from 'otcctl rules get --body' works too, as does \
                the RuleSet of 'rules get -o json'. The server validates the result before storing it as the \
                next version. Team leads and admins only.
                """)
        @Argument(help: "JSON file, or '-' for stdin.") var file: String
        @Option(help: "What changed and why (kept with the version and audited).") var note: String
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            guard !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError("--note must not be empty") }
        }

        func run() async throws {
            let body = try rulesBody(try readInputText(file), source: file)
            try await global.withSession { session in
                let (rules, replayed) = try await session.invoke(
                    RulesMethods.publish, Otc_Rules_V1_PublishRulesRequest.with { $0.bodyJson = body; $0.note = note },
                    as: Otc_Rules_V1_RuleSet.self, tenant: try session.requireTenant(),
                    idempotencyKey: UUID().uuidString.lowercased())
                if session.json { return try JSONOutput.print(rules) }
                print("rules version \(rules.version) published" + (replayed ? " (replayed)" : "") + "\n")
                printRuleSet(rules)
            }
        }

        /// The body to publish: a JSON object, or the body_json string inside a RuleSet from `rules get -o json`.
        private func rulesBody(_ text: String, source: String) throws -> String {
            let object: Any
            do {
                object = try JSONSerialization.jsonObject(with: Data(text.utf8))
            } catch {
                let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? error.localizedDescription
                throw CLIError("\(source) is not JSON: \(reason)")
            }
            guard let dictionary = object as? [String: Any] else { throw CLIError("\(source) is not a JSON object of rule sections") }
            if let inner = (dictionary["bodyJson"] ?? dictionary["body_json"]) as? String {
                return inner
            }
            return text
        }
    }
}

func printRuleSet(_ rules: Otc_Rules_V1_RuleSet) {
    var details = Details()
    details.add("version", rules.version == 0 ? "0 (built-in defaults)" : "\(rules.version)")
    details.addIfPresent("effective from", rules.effectiveFrom)
    details.addIfPresent("note", rules.note)
    details.addIfPresent("created by", rules.createdBy)
    details.print()
}
