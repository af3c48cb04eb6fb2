/// The collections section: aging buckets, dunning levels, worklist weights, provision matrix and
/// write-off authority.
extension TenantRules {
    public struct Collections: Sendable, Codable, Equatable {
        /// Upper bounds in days past due of the overdue buckets; the default gives
        /// current, 1–30, 31–60, 61–90, 91–120 and >120.
        public var agingBuckets: [Int]
        /// Ascending by days; level numbers 1, 2, 3…
        public var dunningLevels: [DunningLevel]
        /// Currency → smallest total a notice is sent for (minor units).
        public var dunningMinimum: [String: Int64]
        public var worklistWeights: WorklistWeights
        /// Risk class → 0–100 points in the worklist score; unlisted classes score 50.
        public var riskPoints: [String: Int]
        /// Aging bucket label → provision rate in basis points (10000 = 100 %); unlisted buckets 0.
        public var provisionRates: [String: Int]
        /// Role → currency → the largest write-off that role may approve.
        public var writeOffLimits: ApprovalLimits
        /// Days after its date a promise to pay may still be met before it counts as broken.
        public var promiseGraceDays: Int

        public struct DunningLevel: Sendable, Codable, Equatable {
            public var level: Int
            /// Days past the anchor (due date, or the last partial payment) that reach this level.
            public var days: Int
            /// What the notice is: reminder, second_reminder, final_notice, collection_agency…
            public var action: String
            /// Text of the notice. Placeholders: {customer_name} {customer_number} {as_of} {level}
            /// {currency} {total} {items} (one line per item).
            public var template: String

            public init(level: Int, days: Int, action: String, template: String) {
                self.level = level
                self.days = days
                self.action = action
                self.template = template
            }
        }

        public struct WorklistWeights: Sendable, Codable, Equatable {
            public var overdueAmount: Int
            public var daysOverdue: Int
            public var riskClass: Int
            public var brokenPromises: Int

            public init(overdueAmount: Int = 40, daysOverdue: Int = 30, riskClass: Int = 15, brokenPromises: Int = 15) {
                self.overdueAmount = overdueAmount
                self.daysOverdue = daysOverdue
                self.riskClass = riskClass
                self.brokenPromises = brokenPromises
            }

            enum CodingKeys: String, CodingKey {
                case overdueAmount = "overdue_amount", daysOverdue = "days_overdue", riskClass = "risk_class"
                case brokenPromises = "broken_promises"
            }

            public init(from decoder: any Decoder) throws {
                let d = Self()
                let c = try decoder.container(keyedBy: CodingKeys.self)
                overdueAmount = try c.decode(.overdueAmount, or: d.overdueAmount)
                daysOverdue = try c.decode(.daysOverdue, or: d.daysOverdue)
                riskClass = try c.decode(.riskClass, or: d.riskClass)
                brokenPromises = try c.decode(.brokenPromises, or: d.brokenPromises)
            }
        }

        public static let defaultDunningLevels = [
            DunningLevel(level: 1, days: 1, action: "reminder", template: """
                Dear {customer_name} ({customer_number}),

                according to our records the following items were due and are still open on {as_of}:
                {items}
                Total due: {currency} {total}

                If you have already paid, please disregard this reminder.
                """),
            DunningLevel(level: 2, days: 15, action: "second_reminder", template: """
                Dear {customer_name} ({customer_number}),

                despite our reminder the following items are still open on {as_of}:
                {items}
                Total due: {currency} {total}

                Please pay within 7 days.
                """),
            DunningLevel(level: 3, days: 30, action: "final_notice", template: """
                Dear {customer_name} ({customer_number}),

                FINAL NOTICE. The following items are still unpaid on {as_of}:
                {items}
                Total due: {currency} {total}

                Unless we receive payment within 7 days we will stop deliveries and pass the claim on.
                """),
        ]

        public init(agingBuckets: [Int] = [30, 60, 90, 120], dunningLevels: [DunningLevel] = Collections.defaultDunningLevels,
                    dunningMinimum: [String: Int64] = [:], worklistWeights: WorklistWeights = WorklistWeights(),
                    riskPoints: [String: Int] = ["A": 0, "B": 30, "C": 60, "D": 100],
                    provisionRates: [String: Int] = ["1-30": 100, "31-60": 500, "61-90": 2000, "91-120": 5000, ">120": 10000],
                    writeOffLimits: ApprovalLimits = ApprovalLimits([
                        "analyst": ["EUR": 50_000, "USD": 50_000, "GBP": 40_000, "CHF": 50_000],
                        "team_lead": ["EUR": 1_000_000, "USD": 1_000_000, "GBP": 800_000, "CHF": 1_000_000],
                        "admin": ["*": Int64.max],
                    ]),
                    promiseGraceDays: Int = 0) {
            self.agingBuckets = agingBuckets
            self.dunningLevels = dunningLevels
            self.dunningMinimum = dunningMinimum
            self.worklistWeights = worklistWeights
            self.riskPoints = riskPoints
            self.provisionRates = provisionRates
            self.writeOffLimits = writeOffLimits
            self.promiseGraceDays = promiseGraceDays
        }

        func validate() throws {
            let buckets = agingBuckets
            guard !buckets.isEmpty, buckets.allSatisfy({ $0 > 0 }), zip(buckets, buckets.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw OTCError.invalidArgument("collections.aging_buckets must be ascending positive day counts such as [30, 60, 90, 120]")
            }
            guard dunningLevels.enumerated().allSatisfy({ $0.element.level == $0.offset + 1 && $0.element.days >= 1 }),
                  zip(dunningLevels, dunningLevels.dropFirst()).allSatisfy({ $0.days < $1.days })
            else {
                throw OTCError.invalidArgument(
                    "collections.dunning_levels must be numbered 1, 2, 3… with days of at least 1, ascending")
            }
            let w = worklistWeights
            guard [w.overdueAmount, w.daysOverdue, w.riskClass, w.brokenPromises].allSatisfy({ $0 >= 0 }),
                  w.overdueAmount + w.daysOverdue + w.riskClass + w.brokenPromises > 0
            else { throw OTCError.invalidArgument("collections.worklist_weights must be non-negative and not all zero") }
            for (label, points) in riskPoints where !(0...100).contains(points) {
                throw OTCError.invalidArgument("collections.risk_points.\(label) must be 0 to 100")
            }
            for (label, rate) in provisionRates where !(0...10_000).contains(rate) {
                throw OTCError.invalidArgument("collections.provision_rates.\(label) must be 0 to 10000 basis points")
            }
            guard promiseGraceDays >= 0 else { throw OTCError.invalidArgument("collections.promise_grace_days must be 0 or more") }
            try writeOffLimits.validate(section: "collections.write_off_limits")
        }

        enum CodingKeys: String, CodingKey {
            case agingBuckets = "aging_buckets", dunningLevels = "dunning_levels", dunningMinimum = "dunning_minimum"
            case worklistWeights = "worklist_weights", riskPoints = "risk_points", provisionRates = "provision_rates"
            case writeOffLimits = "write_off_limits", promiseGraceDays = "promise_grace_days"
        }

        public init(from decoder: any Decoder) throws {
            let d = Self()
            let c = try decoder.container(keyedBy: CodingKeys.self)
            agingBuckets = try c.decode(.agingBuckets, or: d.agingBuckets)
            dunningLevels = try c.decode(.dunningLevels, or: d.dunningLevels)
            dunningMinimum = try c.decode(.dunningMinimum, or: d.dunningMinimum)
            worklistWeights = try c.decode(.worklistWeights, or: d.worklistWeights)
            riskPoints = try c.decode(.riskPoints, or: d.riskPoints)
            provisionRates = try c.decode(.provisionRates, or: d.provisionRates)
            writeOffLimits = try c.decode(.writeOffLimits, or: d.writeOffLimits)
            promiseGraceDays = try c.decode(.promiseGraceDays, or: d.promiseGraceDays)
        }
    }
}
