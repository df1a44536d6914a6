import Foundation

enum Diagnostics {
    /// One clear line on stderr and the exit code: what a misconfigured container should print.
    static func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("cql-proxy: \(message)\n".utf8))
        exit(code)
    }
}
