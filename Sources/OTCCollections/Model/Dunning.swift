public import OTCCore
public import Foundation

/// Plans a dunning run: which overdue items reach which level, grouped into one notice per
/// customer, currency and level. Pure: the store supplies the facts, the run writes the plan.
///
/// An item's days overdue count from its anchor: the due date, or the last payment made after it
/// (a partial payment restarts the clock, so a customer who pays part is not sent the next level
/// the day after). A notice is sent once per item, level and anchor.
public enum DunningPlanner {
    public struct Candidate: Sendable, Equatable {
        public var itemID: UUID
        public var documentNumber: String
        public var customerNumber: String
        public var currency: String
        public var dueDate: BusinessDate
        public var lastPayment: BusinessDate?
        public var openAmount: Int64
        /// Excluded from dunning (disputed).
        public var heldAmount: Int64
        /// Highest level already sent for this anchor, 0 when none.
        public var levelSent: Int
        public var customerOnHold: Bool

        public init(itemID: UUID, documentNumber: String, customerNumber: String, currency: String, dueDate: BusinessDate,
                    lastPayment: BusinessDate?, openAmount: Int64, heldAmount: Int64 = 0, levelSent: Int = 0, customerOnHold: Bool = false) {
            self.itemID = itemID
            self.documentNumber = documentNumber
            self.customerNumber = customerNumber
            self.currency = currency
            self.dueDate = dueDate
            self.lastPayment = lastPayment
            self.openAmount = openAmount
            self.heldAmount = heldAmount
            self.levelSent = levelSent
            self.customerOnHold = customerOnHold
        }

        public var anchor: BusinessDate { max(dueDate, lastPayment ?? dueDate) }
    }

    public struct PlannedItem: Sendable, Equatable {
        public var candidate: Candidate
        public var daysOverdue: Int
        public var dunnedAmount: Int64
    }

    public struct PlannedNotice: Sendable, Equatable {
        public var customerNumber: String
        public var currency: String
        public var level: TenantRules.Collections.DunningLevel
        public var items: [PlannedItem]
        public var total: Int64 { items.reduce(0) { $0 + $1.dunnedAmount } }
    }

    public struct Plan: Sendable, Equatable {
        public var notices: [PlannedNotice]
        public var skipped: [String: Int]
    }

    public static func plan(_ candidates: [Candidate], asOf: BusinessDate, rules: TenantRules.Collections) -> Plan {
        var skipped: [String: Int] = [:]
        var groups: [String: PlannedNotice] = [:]
        var order: [String] = []
        for candidate in candidates {
            let days = candidate.anchor.days(until: asOf)
            guard let level = rules.dunningLevels.last(where: { days >= $0.days }) else { continue }
            if candidate.customerOnHold { skipped["customer_hold", default: 0] += 1; continue }
            let dunnable = candidate.openAmount - min(candidate.openAmount, max(0, candidate.heldAmount))
            if dunnable <= 0 { skipped["disputed", default: 0] += 1; continue }
            if candidate.levelSent >= level.level { skipped["already_dunned", default: 0] += 1; continue }
            let key = "\(candidate.customerNumber)\u{1F}\(candidate.currency)\u{1F}\(level.level)"
            if groups[key] == nil {
                groups[key] = PlannedNotice(customerNumber: candidate.customerNumber, currency: candidate.currency, level: level, items: [])
                order.append(key)
            }
            groups[key]!.items.append(PlannedItem(candidate: candidate, daysOverdue: days, dunnedAmount: dunnable))
        }
        var notices: [PlannedNotice] = []
        for key in order {
            let notice = groups[key]!
            if let minimum = rules.dunningMinimum[notice.currency], notice.total < minimum {
                skipped["below_minimum", default: 0] += notice.items.count
                continue
            }
            notices.append(notice)
        }
        return Plan(notices: notices, skipped: skipped)
    }

    /// The notice's text from the level's template.
    public static func text(template: String, customerName: String, customerNumber: String, asOf: BusinessDate, level: Int,
                            currency: Currency, items: [(document: String, due: BusinessDate, days: Int, amount: Int64)]) -> String {
        let digits = currency.minorUnitDigits
        let lines = items.map { item in
            "  \(item.document)  due \(item.due)  \(item.days) days overdue  \(currency.code) \(Money.decimal(item.amount, digits: digits))"
        }.joined(separator: "\n")
        let total = items.reduce(Int64(0)) { $0 + $1.amount }
        let values = [
            "{customer_name}": customerName, "{customer_number}": customerNumber, "{as_of}": asOf.description, "{level}": "\(level)",
            "{currency}": currency.code, "{total}": Money.decimal(total, digits: digits), "{items}": lines,
        ]
        var text = template
        for (placeholder, value) in values { text = text.replacingOccurrences(of: placeholder, with: value) }
        return text.hasSuffix("\n") ? text : text + "\n"
    }
}
