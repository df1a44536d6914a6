import Foundation
import CQLProtocol

/// Everything the engine holds, mutated only under `Engine.state`'s lock.
struct EngineState: Sendable {
    let clusterName: String
    let releaseVersion: String
    var topology: [NodeInfo] = []
    var schemaVersion = UUID()

    init(clusterName: String, releaseVersion: String) {
        self.clusterName = clusterName; self.releaseVersion = releaseVersion
    }

    mutating func execute(_ query: String, keyspace: String?, options: QueryOptions,
                          node: NodeInfo) throws(EngineError) -> EngineResult {
        throw .syntax("line 1:0 no viable alternative at input '\(query.prefix(20))'")
    }

    mutating func prepare(_ query: String, keyspace: String?) throws(EngineError) -> PreparedInfo {
        throw .syntax("line 1:0 no viable alternative at input '\(query.prefix(20))'")
    }

    mutating func executeBatch(_ statements: [(query: String, values: [[UInt8]?])], keyspace: String?,
                               node: NodeInfo) throws(EngineError) {
        throw .syntax("batch unsupported")
    }
}
