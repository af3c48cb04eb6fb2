public import OTCCore

/// Orders collectors' accounts. An account with a broken promise nobody has followed up comes
/// first; an account with a promise still running comes last (the customer said when they pay);
/// the rest by the tenant's weights over four factors scaled 0–100. Pure.
public enum WorklistRanking {
    public struct Account: Sendable, Equatable {
        public var customerNumber: String
        public var currency: String
        public var overdue: Int64
        public var open: Int64
        public var maxDaysOverdue: Int
        public var riskClass: String
        /// Broken in the last 12 months.
        public var brokenPromises: Int
        /// A broken promise with no activity logged since it broke.
        public var brokenUnhandled: Bool
        /// A promise whose date has not passed yet.
        public var promiseRunning: Bool

        public init(customerNumber: String, currency: String, overdue: Int64, open: Int64, maxDaysOverdue: Int, riskClass: String = "",
                    brokenPromises: Int = 0, brokenUnhandled: Bool = false, promiseRunning: Bool = false) {
            self.customerNumber = customerNumber
            self.currency = currency
            self.overdue = overdue
            self.open = open
            self.maxDaysOverdue = maxDaysOverdue
            self.riskClass = riskClass
            self.brokenPromises = brokenPromises
            self.brokenUnhandled = brokenUnhandled
            self.promiseRunning = promiseRunning
        }

        public var state: String { brokenUnhandled ? "broken_promise" : promiseRunning ? "promised" : "open" }
    }

    public struct Ranked: Sendable, Equatable {
        public var account: Account
        public var score: Int
    }

    /// Amounts are scaled against the largest overdue amount of the same currency; days against
    /// the last aging bound (older is 100).
    public static func rank(_ accounts: [Account], rules: TenantRules.Collections) -> [Ranked] {
        var largest: [String: Int64] = [:]
        for account in accounts { largest[account.currency] = max(largest[account.currency] ?? 0, account.overdue) }
        let w = rules.worklistWeights
        let weight = max(1, w.overdueAmount + w.daysOverdue + w.riskClass + w.brokenPromises)
        let horizon = max(1, rules.agingBuckets.last ?? 120)
        let ranked = accounts.map { account -> Ranked in
            let top = max(1, largest[account.currency] ?? 1)
            let amount = Int(min(100, max(0, account.overdue) * 100 / top))
            let days = min(100, max(0, account.maxDaysOverdue) * 100 / horizon)
            let risk = rules.riskPoints[account.riskClass] ?? 50
            let broken = min(100, account.brokenPromises * 50)
            let score = (amount * w.overdueAmount + days * w.daysOverdue + risk * w.riskClass + broken * w.brokenPromises + weight / 2) / weight
            return Ranked(account: account, score: score)
        }
        func tier(_ account: Account) -> Int { account.brokenUnhandled ? 0 : account.promiseRunning ? 2 : 1 }
        return ranked.sorted {
            let (a, b) = (tier($0.account), tier($1.account))
            if a != b { return a < b }
            if $0.score != $1.score { return $0.score > $1.score }
            if $0.account.overdue != $1.account.overdue { return $0.account.overdue > $1.account.overdue }
            return ($0.account.customerNumber, $0.account.currency) < ($1.account.customerNumber, $1.account.currency)
        }
    }
}

/// Bad-debt provision: each aging bucket times its rate from the tenant's matrix, rounded half
/// up to the minor unit; buckets whose net amount is a credit provision nothing. Pure.
public enum ProvisionMatrix {
    public struct Line: Sendable, Equatable {
        public var currency: String
        public var bucket: String
        public var receivables: Int64
        public var rateBasisPoints: Int
        public var provision: Int64
    }

    public static func lines(currency: String, labels: [String], buckets: [Int64], rates: [String: Int]) -> [Line] {
        zip(labels, buckets).map { label, amount in
            let rate = rates[label] ?? 0
            let base = max(0, amount)
            let (product, overflow) = base.multipliedReportingOverflow(by: Int64(rate))
            let provision = overflow ? base / 10_000 * Int64(rate) : (product + 5_000) / 10_000
            return Line(currency: currency, bucket: label, receivables: amount, rateBasisPoints: rate, provision: provision)
        }
    }
}
