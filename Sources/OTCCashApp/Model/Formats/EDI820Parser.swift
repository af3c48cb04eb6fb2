import Foundation
import OTCCore

/// ANSI X12 820 (Payment Order/Remittance Advice): one advice per 820 transaction set.
///
/// Delimiters come from the ISA header, which has fixed-width fields: the element separator is
/// its fourth character, the component separator is ISA16 and the segment terminator is the
/// character after ISA16 (position 105 of a conforming header; the parser finds ISA16 after the
/// sixteenth element separator, so a header with unpadded fields still reads). Line breaks after
/// terminators, spaces around elements and a leading UTF-8 byte order mark are skipped.
///
/// Envelopes ISA/GS/ST … SE/GE/IEA are checked: SE01 (segments from ST to SE), GE01 (transaction
/// sets), IEA01 (groups) and the control numbers repeated in the trailers. A mismatch is reported
/// at the trailer and the advice is kept. A transaction set other than 820 is reported and skipped.
///
/// What an 820 gives the advice:
/// - `BPR02` the payment's total (decimal, in the currency's units) → `amount`; `BPR16` the payment
///   date (CCYYMMDD) → `paymentDate`.
/// - `TRN02` the payment's trace number (check or EFT number) → `paymentReference`, and the advice
///   `reference` too, unless a heading `REF*TN` (transaction reference number) names the advice.
///   Without either, the reference is the interchange and transaction control numbers
///   ("ISA13-ST02"), and the missing trace number is reported.
/// - `CUR02` the currency; USD when there is no CUR.
/// - `N1*PR` the payer: `N102` → `payerName`; `N104` → `customerNumber` when `N103` is 91 (number
///   assigned by the seller, i.e. by us) or ZZ (mutually defined). Other N1 loops are ignored.
/// - `ENT` starts an entity loop; `RMR*IV` is a line: `RMR02` invoice number, `RMR04` amount paid.
///   `RMR05` (invoice total) and `RMR06` (discount taken) have no place in the model and are not
///   read: the matcher sees a short payment against the open item. An RMR with another qualifier
///   (credit memo, purchase order …) is reported and not read.
/// - `ADX` after an RMR is a deduction from that line: `|ADX01|`, with the reason "ADX <ADX02>"
///   and the code's name from the X12 list (element 426) for the common codes, e.g.
///   "ADX 04 Item Not Accepted - Damaged". Several ADX on one line add up. An ADX that follows no
///   RMR of its entity is not tied to a document: it is reported and not read.
/// - `DTM` (invoice dates), `N1*PE` (payee), `NTE`, `PER` and other segments are ignored.
///
/// Errors are located as "segment N (ID)", N counting segments from the ISA (1).
public enum EDI820Parser {
    public static func parse(_ text: String) -> ParsedRemittanceFile {
        let segments: [Segment]
        do { segments = try split(text) } catch {
            return ParsedRemittanceFile(errors: [BankFileError(location: "segment 1 (ISA)", message: error.message)])
        }
        var reader = Reader()
        for segment in segments { reader.read(segment) }
        reader.finish()
        return ParsedRemittanceFile(advices: reader.advices, errors: reader.errors)
    }

    struct Problem: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// One segment: its elements (the first is the segment id) and its place in the file.
    struct Segment {
        let number: Int
        let elements: [String]

        var id: String { elements[0] }
        /// Element `index` ("BPR02" is `self[2]`), trimmed; "" when the segment is shorter.
        subscript(index: Int) -> String { index < elements.count ? elements[index] : "" }
        var location: String { "segment \(number) (\(id))" }
        func error(_ message: String) -> BankFileError { BankFileError(location: location, message: message) }
    }

    /// The file cut into segments with the delimiters its ISA header declares.
    static func split(_ text: String) throws(Problem) -> [Segment] {
        let scalars = Array(text.unicodeScalars)
        var start = scalars.first == "\u{FEFF}" ? 1 : 0
        while start < scalars.count, scalars[start].properties.isWhitespace { start += 1 }
        guard scalars.count - start > 3, String(String.UnicodeScalarView(scalars[start..<start + 3])) == "ISA" else {
            throw Problem("the file does not start with an ISA interchange header: it is not an X12 file")
        }
        let element = scalars[start + 3]
        var separators = 0, index = start + 3
        while index < scalars.count {
            if scalars[index] == element {
                separators += 1
                if separators == 16 { break }
            }
            index += 1
        }
        guard separators == 16, index + 2 < scalars.count else {
            throw Problem("the ISA header is cut short: it needs 16 elements, then the component separator and the segment terminator")
        }
        let component = scalars[index + 1], terminator = scalars[index + 2]
        guard !element.properties.isAlphabetic, element.properties.numericType == nil, !element.properties.isWhitespace, element != component, element != terminator,
              component != terminator else {
            throw Problem("the ISA header declares unusable delimiters: element '\(element)', component '\(component)', "
                + "segment terminator '\(terminator.escaped(asASCII: true))' must be three different characters")
        }

        var segments: [Segment] = []
        var current = String.UnicodeScalarView()
        func endSegment() {
            let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            current = String.UnicodeScalarView()
            guard !text.isEmpty else { return }
            let elements = text.unicodeScalars.split(separator: element, omittingEmptySubsequences: false)
                .map { String(String.UnicodeScalarView($0)).trimmingCharacters(in: .whitespaces) }
            segments.append(Segment(number: segments.count + 1, elements: elements))
        }
        for scalar in scalars[start...] {
            if scalar == terminator { endSegment() } else { current.append(scalar) }
        }
        endSegment()
        return segments
    }
}

// MARK: - Envelopes

extension EDI820Parser {
    /// Walks the segments in order, keeping the open interchange, group and transaction set.
    struct Reader {
        var advices: [RemittanceAdvice] = []
        var errors: [BankFileError] = []
        private var interchange: (header: Segment, groups: Int)?
        private var group: (header: Segment, transactions: Int)?
        private var transaction: Transaction?

        mutating func read(_ segment: Segment) {
            switch segment.id {
            case "ISA":
                closeInterchange(at: segment)
                interchange = (segment, 0)
            case "GS":
                closeGroup(at: segment)
                if interchange == nil { errors.append(segment.error("GS functional group outside an interchange (no ISA before it)")) }
                interchange?.groups += 1
                group = (segment, 0)
            case "ST":
                closeTransaction(at: segment)
                if group == nil { errors.append(segment.error("ST transaction set outside a functional group (no GS before it)")) }
                group?.transactions += 1
                if segment[1] != "820" {
                    errors.append(segment.error("transaction set '\(segment[1])' \(segment[2]) is not an 820 remittance advice: it is skipped"))
                }
                transaction = Transaction(header: segment)
            case "SE":
                guard var open = transaction else {
                    errors.append(segment.error("SE trailer without an open ST transaction set"))
                    return
                }
                open.count += 1
                let control = open.header[2]
                if Int(segment[1]) != open.count {
                    errors.append(segment.error("SE01 says \(segment[1].isEmpty ? "nothing" : "'\(segment[1])'") but transaction set \(control) "
                        + "has \(open.count) segments from ST to SE: segments may be missing; its advice is kept, check it against the payer's"))
                }
                if segment[2] != control {
                    errors.append(segment.error("SE02 '\(segment[2])' does not repeat the ST02 control number '\(control)'"))
                }
                transaction = open
                finishTransaction()
            case "GE":
                closeTransaction(at: segment)
                guard let open = group else {
                    errors.append(segment.error("GE trailer without an open GS functional group"))
                    return
                }
                if Int(segment[1]) != open.transactions {
                    errors.append(segment.error("GE01 says '\(segment[1])' transaction sets but the group has \(open.transactions)"))
                }
                if segment[2] != open.header[6] {
                    errors.append(segment.error("GE02 '\(segment[2])' does not repeat the GS06 control number '\(open.header[6])'"))
                }
                group = nil
            case "IEA":
                closeGroup(at: segment)
                guard let open = interchange else {
                    errors.append(segment.error("IEA trailer without an open ISA interchange"))
                    return
                }
                if Int(segment[1]) != open.groups {
                    errors.append(segment.error("IEA01 says '\(segment[1])' functional groups but the interchange has \(open.groups)"))
                }
                if segment[2] != open.header[13] {
                    errors.append(segment.error("IEA02 '\(segment[2])' does not repeat the ISA13 control number '\(open.header[13])'"))
                }
                interchange = nil
            default:
                guard transaction != nil else {
                    errors.append(segment.error("segment outside a transaction set (ST … SE): it is not read"))
                    return
                }
                transaction?.count += 1
                if let problem = transaction?.read(segment) { errors.append(problem) }
            }
        }

        /// At the end of the file: what is still open was never closed.
        mutating func finish() { closeInterchange(at: nil) }

        private mutating func closeInterchange(at segment: Segment?) {
            closeGroup(at: segment)
            if let open = interchange {
                errors.append(open.header.error("interchange \(open.header[13]) has no IEA trailer\(Self.before(segment))"))
                interchange = nil
            }
        }

        private mutating func closeGroup(at segment: Segment?) {
            closeTransaction(at: segment)
            if let open = group {
                errors.append(open.header.error("functional group \(open.header[6]) has no GE trailer\(Self.before(segment))"))
                group = nil
            }
        }

        /// A transaction set still open when another envelope segment (or the end) comes: its
        /// advice is kept, with an error.
        private mutating func closeTransaction(at segment: Segment?) {
            guard let open = transaction else { return }
            errors.append(open.header.error("transaction set \(open.header[2]) has no SE trailer\(Self.before(segment)): "
                + "the file may be cut short; what was read of it is kept"))
            finishTransaction()
        }

        private static func before(_ segment: Segment?) -> String {
            segment.map { " before \($0.location)" } ?? " (the file ends)"
        }

        private mutating func finishTransaction() {
            guard let open = transaction else { return }
            transaction = nil
            guard open.header[1] == "820" else { return }
            if let advice = open.advice(interchangeControl: interchange?.header[13] ?? "", errors: &errors) {
                advices.append(advice)
            }
        }
    }
}

// MARK: - One 820 transaction set

extension EDI820Parser {
    /// The segments of one transaction set that make its advice, kept until SE because the
    /// currency (CUR) comes after the payment amount (BPR).
    struct Transaction {
        struct Remittance {
            let rmr: Segment
            var adjustments: [Segment] = []
        }

        let header: Segment
        /// Segments from ST on, as SE01 counts them.
        var count = 1
        private var bpr: Segment?
        private var trn: Segment?
        private var cur: Segment?
        private var adviceReference: Segment?
        private var payer: Segment?
        /// Past the heading: an N1, ENT or RMR was read.
        private var inDetail = false
        private var remittances: [Remittance] = []
        /// The RMR an ADX adjusts; an entity or name loop ends it.
        private var openRemittance = false

        init(header: Segment) { self.header = header }

        /// Takes one segment; returns the error when the segment is not read.
        mutating func read(_ segment: Segment) -> BankFileError? {
            guard header[1] == "820" else { return nil }
            switch segment.id {
            case "BPR": bpr = bpr ?? segment
            case "TRN": trn = trn ?? segment
            case "CUR": cur = cur ?? segment
            case "REF" where !inDetail && segment[1] == "TN": adviceReference = adviceReference ?? segment
            case "N1":
                inDetail = true
                openRemittance = false
                if segment[1] == "PR", payer == nil { payer = segment }
            case "ENT":
                inDetail = true
                openRemittance = false
            case "RMR":
                inDetail = true
                remittances.append(Remittance(rmr: segment))
                openRemittance = true
            case "ADX":
                guard openRemittance else {
                    return segment.error("ADX adjustment \(segment[1]) (reason \(segment[2])) follows no RMR line of its entity: "
                        + "it is not tied to a document and is not read")
                }
                remittances[remittances.count - 1].adjustments.append(segment)
            default: break
            }
            return nil
        }

        /// The advice, with what could not be read appended to `errors`; nil when the currency is
        /// unusable (no amount of the set can then be read).
        func advice(interchangeControl: String, errors: inout [BankFileError]) -> RemittanceAdvice? {
            var currency = Currency("USD")!
            if let cur {
                let code = cur[2].uppercased()
                guard let declared = Currency(code) else {
                    errors.append(cur.error("CUR02 '\(cur[2])' is not a three-letter ISO 4217 currency code: "
                        + "transaction set \(header[2]) is not read"))
                    return nil
                }
                currency = declared
            }
            var advice = RemittanceAdvice(reference: "", currency: currency)
            if let bpr {
                do {
                    let amount = try EDI820Parser.amount(bpr[2], element: "BPR02 (payment amount)", currency: currency)
                    if amount < 0 { errors.append(bpr.error("BPR02 (payment amount) '\(bpr[2])' is negative")) } else { advice.amount = amount }
                } catch { errors.append(bpr.error(error.message)) }
                let dateText = bpr[16]
                if !dateText.isEmpty {
                    if let date = EDI820Parser.date(ccyymmdd: dateText) { advice.paymentDate = date } else {
                        errors.append(bpr.error("BPR16 (payment date) '\(dateText)' is not a CCYYMMDD date"))
                    }
                }
            } else {
                errors.append(header.error("transaction set \(header[2]) has no BPR segment: the payment's amount and date are unknown"))
            }
            advice.paymentReference = trn?[2] ?? ""
            if let reference = adviceReference?[2], !reference.isEmpty {
                advice.reference = reference
            } else if !advice.paymentReference.isEmpty {
                advice.reference = advice.paymentReference
            } else {
                advice.reference = "\(interchangeControl)-\(header[2])"
            }
            if advice.paymentReference.isEmpty {
                errors.append((trn ?? header).error("transaction set \(header[2]) has no TRN02 trace number: "
                    + "the advice is stored as '\(advice.reference)' and can be joined to its payment only by payer, amount and date"))
            }
            if let payer {
                advice.payerName = payer[2]
                if ["91", "ZZ"].contains(payer[3]) { advice.customerNumber = payer[4] }
            }
            for remittance in remittances {
                do { advice.lines.append(try Self.line(remittance, currency: currency, errors: &errors)) } catch {
                    errors.append(remittance.rmr.error(error.message))
                }
            }
            return advice
        }

        /// One RMR with its ADX deductions; throws when the RMR cannot be read. An ADX that cannot
        /// be read is reported and the line kept without it.
        private static func line(_ remittance: Remittance, currency: Currency,
                                 errors: inout [BankFileError]) throws(Problem) -> RemittanceAdvice.Line {
            let rmr = remittance.rmr
            guard rmr[1].uppercased() == "IV" else {
                throw Problem("RMR01 qualifier '\(rmr[1])' is not IV (invoice number): the line for '\(rmr[2])' is not read")
            }
            let document = rmr[2]
            guard !document.isEmpty else { throw Problem("RMR02 (invoice number) is empty") }
            let paid = try EDI820Parser.amount(rmr[4], element: "RMR04 (amount paid)", currency: currency)
            guard paid >= 0 else { throw Problem("RMR04 (amount paid) '\(rmr[4])' for \(document) is negative") }
            var line = RemittanceAdvice.Line(documentNumber: document, paid: paid)
            var reasons: [String] = []
            for adx in remittance.adjustments {
                do {
                    let amount = try EDI820Parser.amount(adx[1], element: "ADX01 (adjustment amount)", currency: currency)
                    line.deduction += abs(amount)
                    reasons.append(EDI820Parser.adjustmentReason(adx[2]))
                } catch {
                    errors.append(adx.error("\(error.message): the deduction from \(document) is not read"))
                }
            }
            line.deductionReason = reasons.joined(separator: "; ")
            return line
        }
    }
}

// MARK: - Values

extension EDI820Parser {
    /// An X12 decimal (R type: digits, an optional "." and a leading "-") in minor units.
    static func amount(_ text: String, element: String, currency: Currency) throws(Problem) -> Int64 {
        guard !text.isEmpty else { throw Problem("\(element) is empty") }
        let body = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard body.contains(where: \.isASCIIDigit), body.allSatisfy({ $0.isASCIIDigit || $0 == "." }), body.count(where: { $0 == "." }) <= 1 else {
            throw Problem("\(element) '\(text)' is not a decimal amount (digits with an optional '.', such as 1250.00)")
        }
        guard let value = BankAmount.minorUnits(text, currency: currency) else {
            let decimals = body.split(separator: ".", omittingEmptySubsequences: false).dropFirst().first?.count ?? 0
            let digits = currency.minorUnitDigits
            if decimals > digits {
                throw Problem("\(element) '\(text)' has \(decimals) decimals but \(currency) has \(digits == 0 ? "none" : String(digits))")
            }
            throw Problem("\(element) '\(text)' is too large")
        }
        return value
    }

    static func date(ccyymmdd text: String) -> BusinessDate? {
        guard text.count == 8, text.allSatisfy(\.isASCIIDigit), let value = Int(text) else { return nil }
        return BusinessDate(year: value / 10_000, month: value / 100 % 100, day: value % 100)
    }

    /// "ADX <code>" with the code's name from X12 element 426, for the codes payers use most.
    static func adjustmentReason(_ code: String) -> String {
        guard !code.isEmpty else { return "ADX (no reason code)" }
        return adjustmentReasons[code].map { "ADX \(code) \($0)" } ?? "ADX \(code)"
    }

    static let adjustmentReasons: [String: String] = [
        "01": "Pricing Error",
        "02": "Allowance/Charge Error",
        "03": "Extension Error",
        "04": "Item Not Accepted - Damaged",
        "05": "Item Not Accepted - Quality",
        "06": "Quantity Contested",
        "07": "Incorrect Product",
        "11": "Returns - Damage",
        "12": "Returns - Quality",
        "19": "Duplicate Billing",
        "22": "Weight Error",
        "24": "Incorrect Discount",
        "25": "Item Not Accepted",
        "43": "Missing Discount",
        "54": "Freight Deducted",
        "55": "Tax Deducted",
        "56": "Advertising Allowance Taken",
        "57": "Volume Discount Taken",
        "59": "Item not received",
    ]
}
