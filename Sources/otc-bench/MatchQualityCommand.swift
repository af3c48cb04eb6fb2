import ArgumentParser
import Foundation
import OTCMatchQuality

/// Matching quality of the cash-application engine on synthetic receipts with known truth
/// (issue 5): generates a scenario (customers, open items, receipts of the standard mix), runs
/// the engine over it as the server's run does, and prints header-level hit rate, item-level
/// straight-through rate, false match rate and the per-case table. No server needed.
struct MatchQualityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match-quality", abstract: "Matching quality on synthetic receipts with known truth (no server).")

    enum Output: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(help: "Receipts to generate.") var receipts = 10_000
    @Option(help: "Customers (default: receipts / 5).") var customers: Int?
    @Option(help: "Open items before the receipts (default: receipts × 2.5).") var items: Int?
    @Option(help: "Seed of the generator.") var seed: UInt64 = 20_261_130
    @Option(help: "Confidence from which a proposal posts without a person.") var autoApplyConfidence = 90
    @Option(help: "Failing receipts to print per case, with truth and proposal.") var examples = 0
    @Flag(help: "Also print the table per case variant.") var variants = false
    @Flag(help: "One run over all receipts with one index, instead of a run per value day from the ledger.") var singleRun = false
    @Flag(help: "Leave exceptions unworked, instead of an analyst applying each day's exceptions before the next run.") var noAnalyst = false
    @Option(name: [.short, .long], help: "text or json.") var output: Output = .text

    func validate() throws {
        guard receipts > 0 else { throw ValidationError("--receipts must be positive") }
        guard customers.map({ $0 >= 10 }) ?? true else { throw ValidationError("--customers must be at least 10") }
        guard items.map({ $0 >= 20 }) ?? true else { throw ValidationError("--items must be at least 20") }
        guard (0...100).contains(autoApplyConfidence) else { throw ValidationError("--auto-apply-confidence must be 0-100") }
    }

    func run() throws {
        let clock = ContinuousClock()
        let began = clock.now
        let parameters = SyntheticRemittances.Parameters(seed: seed, receipts: receipts, customers: customers, items: items)
        let scenario = SyntheticRemittances.scenario(parameters)
        let generated = clock.now
        let options = MatchQuality.Options(runPerDay: !singleRun, analystWorksExceptions: !noAnalyst)
        let report = MatchQuality.run(scenario, autoApplyConfidence: autoApplyConfidence, options: options)
        let matched = clock.now
        let generateSeconds = seconds(generated - began), matchSeconds = seconds(matched - generated)

        if output == .json {
            func figures(_ f: QualityFigures) -> [String: Any] {
                func tally(_ t: Tally) -> [String: Any] {
                    [
                        "receipts": t.receipts, "known_customer": t.knownCustomer, "with_allocation": t.withAllocation,
                        "auto_applied": t.autoApplied, "header_hits": t.headerHits, "correct": t.correct,
                        "wrong_customer": t.wrongCustomer, "wrong_items": t.wrongItems, "wrong_amounts": t.wrongAmounts,
                        "exceptions": t.exceptions, "right_below_threshold": t.rightBelowThreshold,
                        "header_hit_rate": t.headerHitRate, "item_level_rate": t.itemLevelRate, "false_match_rate": t.falseMatchRate,
                        "imprecise_rate": t.impreciseRate, "exception_rate": t.exceptionRate,
                    ]
                }
                return ["count": tally(f.count), "amount": tally(f.amount)]
            }
            var object: [String: Any] = [
                "scenario": "match-quality", "seed": seed, "receipts": scenario.receipts.count, "customers": scenario.payers.count,
                "items": scenario.items.count, "auto_apply_confidence": autoApplyConfidence,
                "run_per_day": !singleRun, "analyst_works_exceptions": !noAnalyst, "generate_seconds": generateSeconds,
                "match_seconds": matchSeconds, "overall": figures(report.overall),
                "cases": Dictionary(uniqueKeysWithValues: report.byCase.map { ($0.kind.rawValue, figures($0.figures)) }),
            ]
            if variants {
                object["variants"] = report.byVariant.map { ["case": $0.kind.rawValue, "variant": $0.variant ?? "", "figures": figures($0.figures)] }
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("""
            scenario                 seed \(seed), \(scenario.payers.count) customers, \(scenario.items.count) open items; \
            \(singleRun ? "one run" : "a run per value day") \(noAnalyst ? "with exceptions left unworked" : "with the exceptions worked each day")
            \(MatchQuality.table(report, variants: variants))

            seconds                  \(String(format: "%.1f", generateSeconds)) to generate, \(String(format: "%.1f", matchSeconds)) to match \
            (\(String(format: "%.2f", matchSeconds * 1000 / Double(max(1, scenario.receipts.count)))) ms per receipt)
            """)
        if examples > 0 {
            for group in report.byCase where group.figures.count.correct < group.figures.count.receipts {
                print("\n== \(group.kind.rawValue): not correct")
                for line in MatchQuality.failures(report, in: scenario, kind: group.kind, limit: examples) { print(line) }
            }
        }
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
