import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// One XML element with the part of its subtree read so far. The camt reader keeps only what it
/// is working on (a statement's header and the current entry) and drops each entry once read,
/// so memory stays flat however many entries a file has.
struct CamtNode {
    let name: String
    /// Where the element is, below the message root, with 1-based indexes on the elements that
    /// repeat (e.g. "Stmt[2]/Ntry[5]/Amt"): what error locations show.
    let path: String
    let attributes: [String: String]
    var text = ""
    var children: [CamtNode] = []
    /// Children opened so far per name, to number the next one.
    var openedChildren: [String: Int] = [:]

    /// Elements the schemas let repeat; only these carry an index in `path`.
    static let repeating: Set<String> = ["Stmt", "Ntfctn", "Ntry", "NtryDtls", "TxDtls", "Bal", "Chrgs", "Rcrd", "RmtInf", "Ustrd",
                                         "Strd", "RfrdDocInf"]

    func child(_ name: some StringProtocol) -> CamtNode? { children.first { $0.name == name } }

    func all(_ name: String) -> [CamtNode] { children.filter { $0.name == name } }

    /// Follows "A/B/C", taking the first match at each step.
    func node(_ path: String) -> CamtNode? {
        var current = self
        for step in path.split(separator: "/") {
            guard let next = current.child(step) else { return nil }
            current = next
        }
        return current
    }

    /// The trimmed text at `path`; nil when the element is absent or blank.
    func value(_ path: String) -> String? { node(path)?.value }

    /// Own text without surrounding XML whitespace; nil when blank. (Trimmed by hand: Foundation's
    /// `trimmingCharacters` goes through NSString on Linux and was the largest cost per entry.)
    var value: String? {
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }
        guard let first = text.utf8.firstIndex(where: { !isSpace($0) }), let last = text.utf8.lastIndex(where: { !isSpace($0) }) else {
            return nil
        }
        return String(text[first...last])
    }
}

/// `XMLParser` delegate that turns SAX events into `CamtNode`s. Each finished element goes to the
/// reader, which either consumes it (an entry, a statement) or lets it join its parent.
final class CamtTreeBuilder: NSObject, XMLParserDelegate {
    var reader = CamtReader()
    /// The open elements, document root first.
    private(set) var stack: [CamtNode] = []
    /// Where and why the XML itself is broken, as the parser reports it.
    private(set) var failure: (line: Int, column: Int, code: Int)?
    /// Set when the reader refused the document; the parser's own "aborted" error is then noise.
    private var refused = false
    /// libxml2 recovers from some errors and goes on reporting elements; after the first error
    /// (or a refusal) nothing is trusted.
    private var stopped: Bool { refused || failure != nil }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
                attributes attributeDict: [String: String] = [:]) {
        guard !stopped else { return }
        let depth = stack.count
        var path = ""
        if depth > 0 {
            let index = stack[depth - 1].openedChildren[elementName, default: 0] + 1
            stack[depth - 1].openedChildren[elementName] = index
            // Mixed content does not occur in camt: what the parent collected so far is whitespace.
            stack[depth - 1].text = ""
            let label = CamtNode.repeating.contains(elementName) ? "\(elementName)[\(index)]" : elementName
            let parentPath = stack[depth - 1].path
            // The document root and the message root are the same in every file: leave them out.
            path = depth < 2 ? "" : parentPath.isEmpty ? label : "\(parentPath)/\(label)"
        }
        let node = CamtNode(name: elementName, path: path, attributes: attributeDict)
        guard reader.open(node, depth: depth, namespace: namespaceURI ?? "") else {
            refused = true
            parser.abortParsing()
            return
        }
        stack.append(node)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        guard !stopped, let node = stack.popLast() else { return }
        if reader.close(node, depth: stack.count), !stack.isEmpty {
            stack[stack.count - 1].children.append(node)
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stopped, !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        guard !stopped, !stack.isEmpty else { return }
        stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self)
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
        guard !stopped else { return }
        failure = (parser.lineNumber, parser.columnNumber, (parseError as NSError).code)
        parser.abortParsing()
    }
}
