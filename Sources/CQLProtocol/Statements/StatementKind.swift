/// Whether a statement writes data (INSERT, UPDATE, DELETE, or a BEGIN ... APPLY BATCH), read from its
/// first word only: cheap enough to ask for every QUERY when consistency rewriting is on.
public enum StatementKind {
    public static func isWrite(_ query: String) -> Bool {
        var word: [UInt8] = []
        for byte in query.utf8 {
            let lower = byte | 0x20
            if lower >= 0x61 && lower <= 0x7A {
                word.append(lower)
                if word.count > 6 { break }
            } else if !word.isEmpty || !(byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D) {
                break
            }
        }
        switch String(decoding: word, as: UTF8.self) {
        case "insert", "update", "delete", "begin": return true
        default: return false
        }
    }
}
