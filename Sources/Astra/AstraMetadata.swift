import Foundation
import Posix

/// What the metadata service says about a database: where the SNI front is and which nodes to ask it for.
public struct AstraMetadata: Sendable, Equatable {
    public var region: String
    public var localDataCenter: String
    /// Host ids of the nodes; each becomes the SNI name of a TLS connection to `sniProxy`.
    public var contactPoints: [UUID]
    public var sniProxy: HostPort

    public init(region: String, localDataCenter: String, contactPoints: [UUID], sniProxy: HostPort) {
        self.region = region
        self.localDataCenter = localDataCenter
        self.contactPoints = contactPoints
        self.sniProxy = sniProxy
    }

    /// Parses `{version, region, contact_info: {type, local_dc, contact_points, sni_proxy_address}}`.
    /// `defaultSNIPort` fills in a `sni_proxy_address` given without a port.
    public init(json: [UInt8], defaultSNIPort: Int = 29042) throws(AstraError) {
        let raw: Raw
        do {
            raw = try JSONDecoder().decode(Raw.self, from: Data(json))
        } catch let DecodingError.keyNotFound(key, _) {
            throw .metadataInvalid("no \"\(key.stringValue)\"")
        } catch let DecodingError.typeMismatch(_, context) where !context.codingPath.isEmpty {
            throw .metadataInvalid("\"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type")
        } catch {
            throw .metadataInvalid("not the expected JSON object")
        }
        let info = raw.contact_info
        if let type = info.type, type != "sni_proxy" {
            throw .metadataInvalid("unsupported contact_info.type \"\(type.prefix(40))\"")
        }
        guard !info.contact_points.isEmpty else { throw .metadataInvalid("contact_info.contact_points is empty") }
        var points: [UUID] = []
        for text in info.contact_points {
            guard let id = UUID(uuidString: text) else {
                throw .metadataInvalid("contact point \"\(text.prefix(60))\" is not a host id (UUID)")
            }
            points.append(id)
        }
        guard let sni = HostPort(parsing: info.sni_proxy_address, defaultPort: defaultSNIPort),
              !sni.host.isEmpty, sni.host != "0.0.0.0", sni.port > 0 else {
            throw .metadataInvalid("sni_proxy_address \"\(info.sni_proxy_address.prefix(80))\" is not host:port")
        }
        guard let dc = info.local_dc ?? raw.region, !dc.isEmpty else {
            throw .metadataInvalid("neither region nor contact_info.local_dc is given")
        }
        region = raw.region ?? dc
        localDataCenter = dc
        contactPoints = points
        sniProxy = sni
    }

    private struct Raw: Decodable {
        struct ContactInfo: Decodable {
            var type: String?
            var local_dc: String?
            var contact_points: [String]
            var sni_proxy_address: String
        }
        var version: Int?
        var region: String?
        var contact_info: ContactInfo
    }
}
