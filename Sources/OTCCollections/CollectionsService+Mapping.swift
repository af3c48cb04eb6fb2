import OTCCore
import OTCProto
import OTCReceivables
import Foundation
import SwiftProtobuf

/// Domain values → messages of otc.collections.v1.
extension CollectionsService {
    static func message(_ row: Ledger.AgingRow, labels: [String], name: String) -> Otc_Collections_V1_AgingRow {
        .with {
            $0.customerNumber = row.customerNumber
            $0.customerName = name
            $0.currency = row.currency
            $0.buckets = zip(labels, row.buckets).map { label, amount in .with { $0.label = label; $0.amount = amount } }
            $0.total = row.total
            $0.overdue = row.overdue
            $0.items = Int32(row.items)
        }
    }

    static func message(_ notice: DunningNoticeRecord, name: String) -> Otc_Collections_V1_DunningNotice {
        .with {
            $0.id = notice.id.uuidString.lowercased()
            $0.runID = notice.runID.uuidString.lowercased()
            $0.customerNumber = notice.customerNumber
            $0.customerName = name
            $0.currency = notice.currency
            $0.level = Int32(notice.level)
            $0.action = notice.action
            $0.total = notice.total
            $0.asOf = notice.asOf.message
            $0.items = notice.items.map { item in
                .with {
                    $0.documentNumber = item.documentNumber
                    $0.dueDate = item.dueDate.message
                    $0.anchorDate = item.anchorDate.message
                    $0.daysOverdue = Int32(item.daysOverdue)
                    $0.openAmount = item.openAmount
                    $0.disputedAmount = item.disputedAmount
                    $0.dunnedAmount = item.dunnedAmount
                }
            }
        }
    }

    static func message(_ account: CollectionAccount) -> Otc_Collections_V1_CollectionAccount {
        .with {
            $0.customerNumber = account.customerNumber
            $0.collector = account.collector
            $0.dunningHold = account.dunningHold
            $0.holdReason = account.holdReason
        }
    }

    static func message(_ ranked: WorklistRanking.Ranked, rank: Int, name: String, collector: String, lastActivity: Date?,
                        followUp: BusinessDate?) -> Otc_Collections_V1_WorklistEntry {
        let account = ranked.account
        return .with {
            $0.rank = Int32(rank)
            $0.customerNumber = account.customerNumber
            $0.customerName = name
            $0.currency = account.currency
            $0.overdue = account.overdue
            $0.open = account.open
            $0.maxDaysOverdue = Int32(account.maxDaysOverdue)
            $0.riskClass = account.riskClass
            $0.brokenPromises = Int32(account.brokenPromises)
            $0.score = Int32(ranked.score)
            $0.collector = collector
            $0.state = account.state
            if let lastActivity { $0.lastActivity = BusinessDate(utc: lastActivity).message }
            if let followUp { $0.followUp = followUp.message }
        }
    }

    static func message(_ activity: Activity) -> Otc_Collections_V1_Activity {
        .with {
            $0.id = activity.id.uuidString.lowercased()
            $0.customerNumber = activity.customerNumber
            $0.kind = activity.kind
            $0.outcome = activity.outcome
            $0.note = activity.note
            if let followUp = activity.followUp { $0.followUp = followUp.message }
            $0.principal = activity.principal
            $0.at = Timestamp.string(activity.at)
        }
    }

    static func message(_ promise: PromiseToPay) -> Otc_Collections_V1_Promise {
        .with {
            $0.id = promise.id.uuidString.lowercased()
            $0.customerNumber = promise.customerNumber
            $0.amount = .with { m in m.units = promise.amount.units; m.currency = promise.amount.currency.code }
            $0.promisedDate = promise.promisedDate.message
            $0.madeOn = promise.madeOn.message
            $0.status = promise.status.rawValue
            $0.paid = promise.paid
            $0.note = promise.note
            $0.principal = promise.principal
            $0.resolvedAt = Timestamp.string(promise.resolvedAt)
        }
    }

    static func message(_ request: WriteOffRequest) -> Otc_Collections_V1_WriteOff {
        .with {
            $0.id = request.id.uuidString.lowercased()
            $0.documentNumber = request.documentNumber
            $0.customerNumber = request.customerNumber
            $0.amount = .with { m in m.units = request.amount.units; m.currency = request.amount.currency.code }
            $0.reason = request.reason
            $0.status = request.status.rawValue
            $0.requestedBy = request.requestedBy
            $0.requestedAt = Timestamp.string(request.requestedAt)
            $0.decidedBy = request.decidedBy ?? ""
            $0.decidedAt = Timestamp.string(request.decidedAt)
            $0.decisionNote = request.decisionNote
            $0.rulesVersion = Int32(request.rulesVersion)
        }
    }
}
