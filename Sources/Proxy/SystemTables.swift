import CQLProtocol
import Foundation
import Posix
import Upstream

/// A table the proxy answers itself: its columns and rows as CQL values.
struct VirtualTable {
    var name: String
    var columns: [(name: String, type: DataType)]
    var rows: [[CQLValue]]
}

/// Builds system.local / system.peers as one node would show them (see cql-proxy-compat.md): the client
/// sees the proxy (and any peer proxies) as the whole cluster, with the upstream's versions and schema.
struct SystemTables {
    let config: ProxyConfig
    let info: ClusterInfo?
    /// The address this client reached us on: the default rpc_address, as in the Go proxy.
    let localAddress: String

    var rpcAddress: String { config.rpcAddress ?? localAddress }
    var dataCenter: String { config.dataCenter ?? info?.localDataCenter ?? "datacenter1" }

    static let peerColumns: [(name: String, type: DataType)] = [
        ("peer", .inet), ("data_center", .varchar), ("host_id", .uuid), ("preferred_ip", .inet),
        ("rack", .varchar), ("release_version", .varchar), ("rpc_address", .inet),
        ("schema_version", .uuid), ("tokens", .set(.varchar)),
    ]

    func local() -> VirtualTable {
        let address = inet(rpcAddress)
        let columns: [(name: String, type: DataType)] = [
            ("key", .varchar), ("bootstrapped", .varchar), ("broadcast_address", .inet), ("broadcast_port", .int),
            ("cluster_name", .varchar), ("cql_version", .varchar), ("data_center", .varchar),
            ("gossip_generation", .int), ("host_id", .uuid), ("listen_address", .inet), ("listen_port", .int),
            ("native_protocol_version", .varchar), ("partitioner", .varchar), ("rack", .varchar),
            ("release_version", .varchar), ("rpc_address", .inet), ("rpc_port", .int),
            ("schema_version", .uuid), ("tokens", .set(.varchar)),
        ]
        let row: [CQLValue] = [
            .text("local"), .text("COMPLETED"), address, .int(7000),
            .text(info?.clusterName ?? "cql-proxy"), .text(info?.cqlVersion ?? "3.4.5"), .text(dataCenter),
            .int(Int64(Self.gossipGeneration)), .uuid(Self.hostID(for: rpcAddress)), address, .int(7000),
            .text(String(config.maxProtocolVersion.rawValue)),
            .text(info?.partitioner ?? "org.apache.cassandra.dht.Murmur3Partitioner"), .text("rack1"),
            .text(info?.releaseVersion ?? "4.0.0"), address, .int(Int64(config.bind.port)),
            .uuid(info?.schemaVersion ?? Self.emptySchema), .list(tokens(forIndex: 0).map { .text($0) }),
        ]
        return VirtualTable(name: "local", columns: columns, rows: [row])
    }

    func peers() -> VirtualTable {
        let rows: [[CQLValue]] = config.peers.enumerated().map { i, peer in
            let address = inet(peer.rpcAddress)
            return [
                address, .text(peer.dataCenter ?? dataCenter), .uuid(Self.hostID(for: peer.rpcAddress)), address,
                .text("rack1"), .text(info?.releaseVersion ?? "4.0.0"), address,
                .uuid(info?.schemaVersion ?? Self.emptySchema),
                .list((peer.tokens ?? tokens(forIndex: i + 1)).map { .text($0) }),
            ]
        }
        return VirtualTable(name: "peers", columns: Self.peerColumns, rows: rows)
    }

    /// Pre-3.0 schema tables, empty but with their columns, for v3-era drivers that read them.
    static func legacy(_ table: SystemSelect.Table) -> VirtualTable? {
        let t: DataType = .varchar
        switch table {
        case .schemaKeyspaces:
            return VirtualTable(name: table.rawValue, columns: [
                ("keyspace_name", t), ("durable_writes", .boolean), ("strategy_class", t), ("strategy_options", t),
            ], rows: [])
        case .schemaColumnFamilies:
            return VirtualTable(name: table.rawValue, columns: [
                ("keyspace_name", t), ("columnfamily_name", t), ("bloom_filter_fp_chance", .double),
                ("caching", t), ("cf_id", .uuid), ("comment", t), ("compaction_strategy_class", t),
                ("compaction_strategy_options", t), ("comparator", t), ("compression_parameters", t),
                ("default_time_to_live", .int), ("default_validator", t), ("dropped_columns", .map(t, .bigint)),
                ("gc_grace_seconds", .int), ("is_dense", .boolean), ("key_validator", t),
                ("local_read_repair_chance", .double), ("max_compaction_threshold", .int),
                ("max_index_interval", .int), ("memtable_flush_period_in_ms", .int),
                ("min_compaction_threshold", .int), ("min_index_interval", .int), ("read_repair_chance", .double),
                ("speculative_retry", t), ("subcomparator", t), ("type", t),
            ], rows: [])
        case .schemaColumns:
            return VirtualTable(name: table.rawValue, columns: [
                ("keyspace_name", t), ("columnfamily_name", t), ("column_name", t), ("component_index", .int),
                ("index_name", t), ("index_options", t), ("index_type", t), ("type", t), ("validator", t),
            ], rows: [])
        case .schemaUserTypes:
            return VirtualTable(name: table.rawValue, columns: [
                ("keyspace_name", t), ("type_name", t), ("field_names", .list(t)), ("field_types", .list(t)),
            ], rows: [])
        case .local, .peers, .peersV2:
            return nil
        }
    }

    /// Evenly spaced Murmur3 tokens: this proxy first, then each configured peer.
    func tokens(forIndex index: Int) -> [String] {
        if index == 0, let tokens = config.tokens { return tokens }
        let count = UInt64(config.peers.count + 1)
        let step = UInt64.max / count
        return [String(Int64.min &+ Int64(bitPattern: UInt64(index) &* step))]
    }

    private func inet(_ ip: String) -> CQLValue {
        if let address = Posix.SocketAddress(ip: ip, port: 0) { return .inet(address.addressBytes) }
        return .inet([127, 0, 0, 1])
    }

    static let emptySchema = UUID(uuidString: "59adb24e-f3cd-3e02-97f0-5b395827453f")!
    static let gossipGeneration = Int32(Date().timeIntervalSince1970)

    /// A stable id per advertised address (FNV-1a, shaped as a version-3-style UUID), so a restarted proxy
    /// keeps its identity in drivers' metadata.
    static func hostID(for address: String) -> UUID {
        var h1: UInt64 = 0xcbf2_9ce4_8422_2325, h2: UInt64 = 0x8422_2325_cbf2_9ce4
        for byte in address.utf8 {
            h1 = (h1 ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            h2 = (h2 ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 &+ 0x9E37
        }
        var bytes = withUnsafeBytes(of: h1.bigEndian, Array.init) + withUnsafeBytes(of: h2.bigEndian, Array.init)
        bytes[6] = bytes[6] & 0x0F | 0x30
        bytes[8] = bytes[8] & 0x3F | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}
