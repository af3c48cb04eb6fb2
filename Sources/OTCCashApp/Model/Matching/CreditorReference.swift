import Foundation

/// ISO 11649 structured creditor references ("RF18 5390 0754 7034"): a check of the two check
/// digits (mod 97 over the reference with "RF00" moved to the end, letters as 10–35), and a
/// search for them in free remittance text, where payers write them with spaces.
public enum CreditorReference {
    /// True when `text` (spaces allowed) is a valid RF reference.
    public static func isValid(_ text: String) -> Bool {
        let compact = text.uppercased().filter { !$0.isWhitespace }
        guard compact.count >= 5, compact.count <= 25, compact.hasPrefix("RF"),
              compact.dropFirst(2).prefix(2).allSatisfy(\.isNumber),
              compact.allSatisfy({ ($0.isASCII && $0.isNumber) || ("A"..."Z").contains($0) })
        else { return false }
        return mod97(compact.dropFirst(4) + compact.prefix(4)) == 1
    }

    /// "RF" + check digits for a creditor's own reference (so invoices can carry one): the check
    /// is 98 minus the remainder of the reference with "RF00" appended.
    public static func make(_ reference: String) -> String? {
        let compact = reference.uppercased().filter { !$0.isWhitespace }
        guard !compact.isEmpty, compact.count <= 21, compact.allSatisfy({ ($0.isASCII && $0.isNumber) || ("A"..."Z").contains($0) }) else {
            return nil
        }
        let check = 98 - mod97(compact + "RF00")
        return "RF" + (check < 10 ? "0" : "") + String(check) + compact
    }

    /// The remainder mod 97 of the number the characters spell, letters as 10–35.
    private static func mod97(_ characters: some Sequence<Character>) -> Int {
        var remainder = 0
        for character in characters {
            guard let ascii = character.asciiValue else { return -1 }
            let value = character.isNumber ? Int(ascii - 48) : Int(ascii - 55)
            remainder = value >= 10 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97
        }
        return remainder
    }

    /// Valid RF references found in free text, compacted ("RF18539007547034"), in order.
    public static func find(in text: String) -> [String] {
        let upper = text.uppercased()
        var found: [String] = []
        var index = upper.startIndex
        while let range = upper.range(of: "RF", range: index..<upper.endIndex) {
            // Take characters while they can belong to a reference, spaces included, then the
            // longest valid prefix (a reference may be followed by more words).
            var candidate = ""
            var cursor = range.lowerBound
            while cursor < upper.endIndex, candidate.filter({ !$0.isWhitespace }).count < 25 {
                let character = upper[cursor]
                guard character.isWhitespace || (character.isASCII && (character.isNumber || character.isLetter)) else { break }
                candidate.append(character)
                cursor = upper.index(after: cursor)
            }
            let compact = candidate.filter { !$0.isWhitespace }
            if let valid = (5...min(25, max(5, compact.count))).reversed().lazy
                .map({ String(compact.prefix($0)) }).first(where: isValid), !found.contains(valid)
            {
                found.append(valid)
            }
            index = range.upperBound
        }
        return found
    }
}
