public import OTCCore

/// Aging of open items by days past due as of a date, with the tenant's buckets.
///
/// Nothing is left out silently: items without a due date get a bucket of their own, and credit
/// items (credit memos, money on account) age like any other item with their negative amounts,
/// so the buckets always add up to the balance.
public struct AgingBuckets: Sendable, Equatable {
    /// Upper bounds in days past due of the overdue buckets, ascending (e.g. 30, 60, 90, 120).
    public let bounds: [Int]

    public init(bounds: [Int]) throws {
        guard !bounds.isEmpty, bounds.allSatisfy({ $0 > 0 }), zip(bounds, bounds.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw OTCError.invalidArgument("aging buckets must be ascending positive day counts such as [30, 60, 90, 120]; got \(bounds)")
        }
        self.bounds = bounds
    }

    /// Bucket labels in order: "no_due_date", "current", "1-30", …, ">120".
    public var labels: [String] {
        var labels = ["no_due_date", "current"]
        var lower = 1
        for bound in bounds {
            labels.append("\(lower)-\(bound)")
            lower = bound + 1
        }
        labels.append(">\(bounds.last!)")
        return labels
    }

    /// The index into `labels` for an item due on `due`, seen on `asOf`.
    public func bucket(due: BusinessDate?, asOf: BusinessDate) -> Int {
        guard let due else { return 0 }
        let late = due.days(until: asOf)
        guard late > 0 else { return 1 }
        for (i, bound) in bounds.enumerated() where late <= bound { return 2 + i }
        return 1 + bounds.count + 1
    }

    /// Sums amounts into the buckets.
    public func age(_ items: [(amount: Int64, due: BusinessDate?)], asOf: BusinessDate) -> [Int64] {
        var totals = [Int64](repeating: 0, count: labels.count)
        for item in items { totals[bucket(due: item.due, asOf: asOf)] += item.amount }
        return totals
    }
}
