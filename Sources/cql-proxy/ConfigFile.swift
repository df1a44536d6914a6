import Foundation
import Yams

/// The YAML configuration file: keys are the long flags' names (`contact-points`, `num-conns`, ...).
/// Lists are accepted where the flag takes a comma-separated list.
struct ConfigFile {
    var values: [String: String] = [:]
    var peers: [[String: Any]] = []

    struct Unreadable: Error, CustomStringConvertible {
        let description: String
    }

    init() {}

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Unreadable(description: "cannot read config file \(path)")
        }
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: String(decoding: data, as: UTF8.self))
        } catch {
            throw Unreadable(description: "config file \(path) is not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
        guard let loaded else { return }   // an empty file configures nothing
        guard let map = loaded as? [String: Any] else {
            throw Unreadable(description: "config file \(path) must be a mapping of option names to values")
        }
        for (key, value) in map {
            if key == "peers" {
                guard let list = value as? [[String: Any]] else {
                    throw Unreadable(description: "config file \(path): peers must be a list of {rpc-address, data-center, tokens}")
                }
                peers = list
                continue
            }
            guard let text = Self.text(value) else {
                throw Unreadable(description: "config file \(path): unsupported value for \(key)")
            }
            values[key] = text
        }
    }

    static func text(_ value: Any) -> String? {
        switch value {
        case let s as String: return s
        case let b as Bool: return b ? "true" : "false"
        case let i as Int: return String(i)
        case let d as Double: return String(d)
        case let list as [Any]: return list.compactMap { text($0) }.joined(separator: ",")
        default: return nil
        }
    }
}
