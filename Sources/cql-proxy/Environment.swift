import Foundation

/// The process environment, as a value tests can replace.
struct Environment {
    var values: [String: String]

    static var current: Environment { Environment(values: ProcessInfo.processInfo.environment) }

    subscript(_ name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    func bool(_ name: String) -> Bool {
        guard let value = self[name]?.lowercased() else { return false }
        return ["1", "true", "yes", "on"].contains(value)
    }
}
