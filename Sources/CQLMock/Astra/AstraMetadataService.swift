import Foundation
import HTTP
import Synchronization

/// The answer of `GET /metadata`, as Astra's metadata service gives it.
struct AstraMetadata: Codable, Equatable, Sendable {
    struct ContactInfo: Codable, Equatable, Sendable {
        var type = "sni_proxy"
        var local_dc: String
        /// Host ids of the nodes, lower-case.
        var contact_points: [String]
        /// "<host>:<port>" of the SNI front.
        var sni_proxy_address: String
    }
    var version = 1
    var region: String
    var contact_info: ContactInfo
}

/// An on/off switch shared between a test and a server's handlers.
final class AvailabilitySwitch: Sendable {
    private let value = Atomic<Bool>(true)
    var isOn: Bool { value.load(ordering: .acquiring) }
    func set(_ on: Bool) { value.store(on, ordering: .releasing) }
}

/// Routes of the metadata service. It is served over mutual TLS (the server's `TLSContext` requires a
/// client certificate from the bundle's CA), so a request that reaches these handlers is already
/// authenticated. With `available` off it answers 503, for fault tests.
enum AstraMetadataService {
    static func router(cluster: MockCluster, region: String, sniAddress: String,
                       available: AvailabilitySwitch) -> HTTPRouter {
        var router = HTTPRouter()
        router.get("/metadata") { _ in
            guard available.isOn else {
                return .json(#"{"errors":[{"message":"metadata service unavailable"}]}"#, status: 503)
            }
            // Read at request time: nodes added later are contact points too, as on Astra after a scale-up.
            let metadata = AstraMetadata(region: region, contact_info: .init(
                local_dc: region,
                contact_points: cluster.allNodes.map { $0.hostID.uuidString.lowercased() },
                sni_proxy_address: sniAddress))
            let body = (try? jsonEncoder.encode(metadata)) ?? Data()
            return HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "application/json")]),
                                body: Array(body))
        }
        return router
    }
}
