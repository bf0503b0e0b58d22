/// Text that may carry client-chosen bytes, made safe for a log line or an error frame.
///
/// Why: a client chooses network names, tokens and frame contents. Written as they are, a newline in
/// a sign-in's `network` forges a whole log line, and a long name makes every line and error frame as
/// long. Control characters (and backslashes, so an escape cannot be faked) become `\n`, `\u{1B}` and
/// the like, and the result is cut to a byte budget at a character boundary, saying that it was cut.
enum UntrustedText {
    /// `text` with control characters escaped, at most `maximumBytes` UTF-8 bytes long.
    static func escaped(_ text: String, maximumBytes: Int) -> String {
        let budget = max(0, maximumBytes - truncationMark.utf8.count)
        var result = ""
        var bytes = 0
        // Where the text must end if it turns out to need the truncation mark.
        var endWithinBudget = result.endIndex
        for scalar in text.unicodeScalars {
            let piece = escaped(scalar)
            let pieceBytes = piece.utf8.count
            guard bytes + pieceBytes <= maximumBytes else {
                return String(result[..<endWithinBudget]) + truncationMark
            }
            result += piece
            bytes += pieceBytes
            if bytes <= budget { endWithinBudget = result.endIndex }
        }
        return result
    }

    static let truncationMark = "…(truncated)"

    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case "\\": return "\\\\"
        default:
            let value = scalar.value
            // C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
            if value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029 {
                return "\\u{\(String(value, radix: 16, uppercase: true))}"
            }
            return String(scalar)
        }
    }
}
