import OTCCore
import OTCProto
import Foundation
import SwiftProtobuf

/// Domain values → messages of otc.credit.v1.
extension CreditService {
    static func message(_ profile: CreditProfile, exposure: Exposure, rulesVersion: Int, pendingRequests: Int) -> Otc_Credit_V1_CreditProfile {
        .with {
            $0.customerNumber = profile.customerNumber
            $0.currency = profile.currency.code
            $0.creditLimit = profile.limit ?? 0
            $0.hasLimit_p = profile.limit != nil
            $0.riskClass = profile.riskClass
            $0.score = Int32(profile.score ?? -1)
            $0.externalRating = Int32(profile.externalRating ?? -1)
            if let review = profile.nextReview { $0.nextReview = review.message }
            $0.blocked = profile.blocked
            $0.blockReason = profile.blockReason
            $0.version = profile.version
            $0.rulesVersion = Int32(rulesVersion)
            $0.pendingRequests = Int32(pendingRequests)
            $0.exposure = .with { e in
                e.openReceivables = exposure.openReceivables
                e.openOrders = exposure.openOrders
                e.shippedNotInvoiced = exposure.shippedNotInvoiced
                e.shippedNotInvoicedCounted = exposure.countsShippedNotInvoiced
                e.total = exposure.total
                e.available = (profile.limit ?? 0) - exposure.total
                e.maxDaysOverdue = Int32(exposure.maxDaysOverdue)
                e.otherCurrencies = exposure.otherCurrencies.map { m in .with { $0.units = m.units; $0.currency = m.currency.code } }
            }
        }
    }

    static func message(_ change: ProfileChange) -> Otc_Credit_V1_ProfileChange {
        .with {
            $0.version = change.version
            $0.principal = change.principal
            $0.at = Timestamp.string(change.at)
            $0.reason = change.reason
            $0.rulesVersion = Int32(change.rulesVersion)
            $0.changes = change.changes
        }
    }

    static func message(_ request: LimitRequest) -> Otc_Credit_V1_LimitRequest {
        .with {
            $0.id = request.id.uuidString.lowercased()
            $0.customerNumber = request.customerNumber
            $0.currency = request.currency.code
            $0.currentLimit = request.currentLimit ?? 0
            $0.requestedLimit = request.requestedLimit
            $0.justification = request.justification
            $0.status = request.status.rawValue
            $0.requestedBy = request.requestedBy
            $0.requestedAt = Timestamp.string(request.requestedAt)
            $0.decidedBy = request.decidedBy ?? ""
            $0.decidedAt = Timestamp.string(request.decidedAt)
            $0.decisionNote = request.decisionNote
            $0.rulesVersion = Int32(request.rulesVersion)
            $0.releasedOrders = request.releasedOrders
        }
    }

    static func message(_ score: CreditScore, facts: (daysLateHundredths: Int64, paidItems: Int, invoiced: Int64), previous: CreditProfile,
                        rulesVersion: Int) -> Otc_Credit_V1_Score {
        .with {
            $0.customerNumber = previous.customerNumber
            $0.score = Int32(score.score)
            $0.riskClass = score.riskClass
            $0.previousRiskClass = previous.riskClass
            $0.averageDaysLateHundredths = facts.daysLateHundredths
            $0.paidItems = Int32(facts.paidItems)
            $0.utilisationBp = Int32(score.utilisationBasisPoints ?? -1)
            $0.externalRating = Int32(previous.externalRating ?? -1)
            $0.paymentComponent = Int32(score.payment ?? -1)
            $0.utilisationComponent = Int32(score.utilisation ?? -1)
            $0.externalComponent = Int32(score.external ?? -1)
            $0.recommendedLimit = .with { $0.units = score.recommendedLimit; $0.currency = previous.currency.code }
            $0.invoiced12Months = .with { $0.units = facts.invoiced; $0.currency = previous.currency.code }
            $0.nextReview = score.nextReview.message
            $0.rulesVersion = Int32(rulesVersion)
        }
    }
}
