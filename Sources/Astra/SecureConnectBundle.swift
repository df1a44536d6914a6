import Foundation
import Glibc
import Transport
import ZIPFoundation

/// A secure-connect bundle, read once into memory: config.json's fields and the three PEM texts. The
/// other entries (JKS, PFX, cqlshrc) are for other tools and ignored.
public struct SecureConnectBundle: Sendable, Equatable {
    public struct Config: Sendable, Equatable {
        /// The metadata service's host name; also the name the SNI front's certificate carries.
        public var host: String
        /// The metadata service's port.
        public var port: Int
        public var cqlPort: Int?
        public var keyspace: String?
        public var localDC: String?

        public init(host: String, port: Int, cqlPort: Int? = nil, keyspace: String? = nil, localDC: String? = nil) {
            self.host = host
            self.port = port
            self.cqlPort = cqlPort
            self.keyspace = keyspace
            self.localDC = localDC
        }
    }

    /// The entries a proxy needs, in the order they are checked.
    public static let requiredEntries = ["config.json", "ca.crt", "cert", "key"]
    /// Bundles are a few KiB; anything this large is not one.
    static let maxBundleBytes = 16 << 20
    static let maxEntryBytes = 1 << 20

    public var config: Config
    public var caCertificatePEM: String
    public var certificatePEM: String
    public var privateKeyPEM: String

    public var host: String { config.host }
    public var port: Int { config.port }

    public init(config: Config, caCertificatePEM: String, certificatePEM: String, privateKeyPEM: String) {
        self.config = config
        self.caCertificatePEM = caCertificatePEM
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
    }

    /// Reads the bundle at `path` (blocking file I/O).
    public static func load(path: String) throws(AstraError) -> SecureConnectBundle {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let err = errno
            if err == ENOENT || err == ENOTDIR { throw .bundleNotFound(path) }
            throw .bundleUnreadable(path: path, reason: String(cString: strerror(err)))
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .bundleNotAZip(path) }
        guard info.st_size <= maxBundleBytes else { throw .bundleNotAZip(path) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .bundleUnreadable(path: path, reason: "\(error.localizedDescription)")
        }
        return try SecureConnectBundle(zipData: data, source: path)
    }

    /// Reads a bundle held in memory (e.g. just downloaded). `source` names it in errors.
    public init(zipData: Data, source: String = "(downloaded)") throws(AstraError) {
        guard zipData.count <= Self.maxBundleBytes else { throw .bundleNotAZip(source) }
        let archive: Archive
        do {
            archive = try Archive(data: zipData, accessMode: .read, pathEncoding: nil)
        } catch {
            throw .bundleNotAZip(source)
        }
        var texts: [String: String] = [:]
        for name in Self.requiredEntries {
            texts[name] = try Self.read(name, from: archive, source: source)
        }
        config = try Self.parseConfig(texts["config.json"]!)
        caCertificatePEM = texts["ca.crt"]!
        certificatePEM = texts["cert"]!
        privateKeyPEM = texts["key"]!
    }

    private static func read(_ name: String, from archive: Archive, source: String) throws(AstraError) -> String {
        // Bundles keep their entries at the root; a bundle re-zipped from a folder has them one level down.
        guard let entry = archive[name] ?? archive.first(where: { $0.type == .file && $0.path.hasSuffix("/" + name) }),
              entry.type == .file else {
            throw .bundleMissingEntry(name)
        }
        guard entry.uncompressedSize <= UInt64(maxEntryBytes) else {
            throw .bundleInvalidConfig("entry \"\(name)\" is larger than 1 MiB")
        }
        var bytes = Data()
        do {
            _ = try archive.extract(entry) { chunk in
                bytes.append(chunk)
                // The header's size may lie; stop a zip bomb here too.
                if bytes.count > maxEntryBytes { throw CocoaError(.fileReadTooLarge) }
            }
        } catch {
            throw .bundleNotAZip("\(source) (entry \"\(name)\" is corrupt)")
        }
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw .bundleInvalidConfig("entry \"\(name)\" is not UTF-8 text")
        }
        return text
    }

    static func parseConfig(_ text: String) throws(AstraError) -> Config {
        let raw: RawConfig
        do {
            raw = try JSONDecoder().decode(RawConfig.self, from: Data(text.utf8))
        } catch let DecodingError.typeMismatch(_, context) where !context.codingPath.isEmpty {
            throw .bundleInvalidConfig("\"\(context.codingPath.last?.stringValue ?? "?")\" has the wrong type")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw .bundleInvalidConfig("\"\(context.codingPath.last!.stringValue)\" is not a port")
        } catch {
            throw .bundleInvalidConfig("not a JSON object")
        }
        guard let host = raw.host, !host.isEmpty else { throw .bundleInvalidConfig("no \"host\"") }
        guard !host.contains(where: { $0.isWhitespace || "/?#@".contains($0) }) else {
            throw .bundleInvalidConfig("\"host\" is not a host name")
        }
        guard let port = raw.port?.value else { throw .bundleInvalidConfig("no \"port\"") }
        return Config(host: host, port: port, cqlPort: raw.cql_port?.value, keyspace: raw.keyspace, localDC: raw.localDC)
    }

    /// config.json as Astra writes it (plus fields for other tools, ignored).
    private struct RawConfig: Decodable {
        var host: String?
        var port: Port?
        var cql_port: Port?
        var keyspace: String?
        var localDC: String?
    }

    /// A port written as a JSON number or a numeric string.
    private struct Port: Decodable {
        var value: Int

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            let number = (try? container.decode(Int.self)) ?? (try? container.decode(String.self)).flatMap { Int($0) }
            guard let number, (1...65535).contains(number) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a port")
            }
            value = number
        }
    }

    /// Mutual TLS with the bundle: its client certificate and key, trusting only its CA, verification on.
    /// `serverName` is the SNI (a host id for the SNI front, the host for the metadata service);
    /// `expectedHostName` is the name the server certificate must carry, config.json's `host` by default.
    public func tlsConfiguration(serverName: String? = nil, expectedHostName: String? = nil) -> TLSConfiguration {
        .client(trustRoots: .certificates(.pem(caCertificatePEM)), serverName: serverName ?? config.host,
                expectedHostName: expectedHostName ?? config.host, certificateChain: .pem(certificatePEM),
                privateKey: .pem(privateKeyPEM))
    }

    /// True when group or others may read the file: the bundle holds a private key, so the proxy warns.
    public static func isReadableByOthers(path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return info.st_mode & 0o044 != 0
    }
}
