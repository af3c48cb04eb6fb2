/// The disputes section: reason codes routed to owner teams with SLA days, and the amount under
/// which a short-payment deduction is written off instead of disputed.
extension TenantRules {
    public struct Disputes: Sendable, Codable, Equatable {
        public struct Route: Sendable, Codable, Equatable {
            public var team: String
            public var slaDays: Int

            public init(team: String, slaDays: Int) {
                self.team = team
                self.slaDays = slaDays
            }

            enum CodingKeys: String, CodingKey { case team, slaDays = "sla_days" }
        }

        /// Reason code → owning team and days until the SLA is breached.
        public var reasonCodes: [String: Route]
        /// Currency → deductions below this (minor units) are written off at once.
        public var autoWriteOffBelow: [String: Int64]

        public init(reasonCodes: [String: Route] = [
                        "PRICE": Route(team: "pricing", slaDays: 10), "QUALITY": Route(team: "quality", slaDays: 15),
                        "QUANTITY": Route(team: "logistics", slaDays: 10), "DAMAGED": Route(team: "logistics", slaDays: 10),
                        "NOT_ORDERED": Route(team: "sales", slaDays: 10), "DEDUCTION": Route(team: "collections", slaDays: 10),
                        "OTHER": Route(team: "ar", slaDays: 10),
                    ],
                    autoWriteOffBelow: [String: Int64] = [:]) {
            self.reasonCodes = reasonCodes
            self.autoWriteOffBelow = autoWriteOffBelow
        }

        func validate() throws {
            guard !reasonCodes.isEmpty else { throw OTCError.invalidArgument("disputes.reason_codes must name at least one reason") }
            for (code, route) in reasonCodes where code.isEmpty || route.team.isEmpty || route.slaDays <= 0 {
                throw OTCError.invalidArgument("disputes.reason_codes.\(code) needs a team and sla_days above 0")
            }
            for (currency, amount) in autoWriteOffBelow where amount < 0 || Currency(currency) == nil {
                throw OTCError.invalidArgument("disputes.auto_write_off_below.\(currency): a currency code with an amount of 0 or more")
            }
        }

        enum CodingKeys: String, CodingKey { case reasonCodes = "reason_codes", autoWriteOffBelow = "auto_write_off_below" }

        public init(from decoder: any Decoder) throws {
            let d = Self()
            let c = try decoder.container(keyedBy: CodingKeys.self)
            reasonCodes = try c.decode(.reasonCodes, or: d.reasonCodes)
            autoWriteOffBelow = try c.decode(.autoWriteOffBelow, or: d.autoWriteOffBelow)
        }
    }
}
