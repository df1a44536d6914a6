/// A frame-body compression a client can ask for in STARTUP (native protocol v4, section 5).
/// Raw values are the names listed in SUPPORTED's COMPRESSION.
public enum CompressionAlgorithm: String, Sendable, CaseIterable {
    case lz4
    case snappy

    /// Parses STARTUP's COMPRESSION value. Case-insensitive, as Cassandra lowercases it before matching.
    public init?(startupName: String) {
        self.init(rawValue: startupName.lowercased())
    }
}
