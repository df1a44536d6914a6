import CQLProtocol
import Upstream

/// `--unsupported-write-consistencies`: writes at a level the cluster refuses (Astra refuses ANY, ONE,
/// LOCAL_ONE for writes) are rewritten in place to the override, so legacy applications need no change.
extension ClientSession {
    /// Rewrites the consistency of a write request in `frame` when configured to. Reads are left alone.
    func rewriteWriteConsistency(_ opcode: Opcode, _ header: FrameHeader, _ frame: UnsafeMutableRawBufferPointer) {
        guard context.rewritesWriteConsistency else { return }   // a Bool: most proxies rewrite nothing
        let unsupported = context.config.unsupportedWriteConsistencies
        guard let body = frame.messageBody(header) else { return }
        let version = header.protocolVersion
        let offset: Int
        switch opcode {
        case .query:
            guard let view = try? QueryView(body: body, version: version), unsupported.contains(view.consistency),
                  StatementKind.isWrite(view.query) else { return }
            offset = view.consistencyOffset
        case .execute:
            guard let view = try? ExecuteView(body: body, version: version), unsupported.contains(view.consistency),
                  let statement = context.upstream.preparedCache.lookup(id: view.preparedID),
                  StatementKind.isWrite(statement.query) else { return }
            offset = view.consistencyOffset
        case .batch:
            guard let view = try? BatchView(body: body, version: version), unsupported.contains(view.consistency) else { return }
            offset = view.consistencyOffset
        default:
            return
        }
        let message = UnsafeMutableRawBufferPointer(rebasing: frame[(frame.count - body.count)...])
        Consistency.write(context.config.writeConsistencyOverride, at: offset, into: message)
    }
}
