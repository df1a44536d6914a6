import Foundation

/// Where a scan stands: after the row with this clustering in this partition (nil clustering: after the
/// whole partition). Positions, not offsets, so pages stay right while other clients write.
struct PagePosition: Sendable, Equatable {
    var partition: [UInt8]
    var clustering: [[UInt8]?]?
}

/// The opaque paging state handed to clients: rows already returned (for LIMIT) and the last position.
struct PagingState: Sendable, Equatable {
    var returned: Int
    var position: PagePosition

    static let magic: UInt8 = 0xCA

    func encode() -> [UInt8] {
        var out: [UInt8] = [PagingState.magic]
        func u32(_ v: Int) { for s in [24, 16, 8, 0] { out.append(UInt8(truncatingIfNeeded: v >> s)) } }
        u32(returned)
        u32(position.partition.count)
        out += position.partition
        if let ck = position.clustering {
            out.append(1)
            u32(ck.count)
            for c in ck {
                if let b = c { u32(b.count); out += b } else { u32(-1) }
            }
        } else {
            out.append(0)
        }
        return out
    }

    static func decode(_ b: [UInt8]) throws(EngineError) -> PagingState {
        var i = 0
        let bad = EngineError(code: EngineError.syntaxErrorCode, message: "Invalid value for the paging state")
        func u32() throws(EngineError) -> Int {
            guard i + 4 <= b.count else { throw bad }
            let v = Int32(bitPattern: ValueOrder.be32(Array(b[i..<(i + 4)])))
            i += 4
            return Int(v)
        }
        func bytes(_ n: Int) throws(EngineError) -> [UInt8] {
            guard n >= 0, i + n <= b.count else { throw bad }
            defer { i += n }
            return Array(b[i..<(i + n)])
        }
        guard b.first == magic else { throw bad }
        i = 1
        let returned = try u32()
        let pk = try bytes(try u32())
        guard i < b.count else { throw bad }
        let hasCk = b[i] == 1
        i += 1
        var ck: [[UInt8]?]?
        if hasCk {
            var list: [[UInt8]?] = []
            let n = try u32()
            guard n >= 0 && n <= 64 else { throw bad }
            for _ in 0..<n {
                let len = try u32()
                list.append(len < 0 ? nil : try bytes(len))
            }
            ck = list
        }
        guard i == b.count, returned >= 0 else { throw bad }
        return PagingState(returned: returned, position: PagePosition(partition: pk, clustering: ck))
    }
}
