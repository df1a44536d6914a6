import ArgumentParser

/// `cql-proxy [options]` runs the proxy (as the Go image does); `cql-proxy demo` runs it in front of a
/// built-in Astra emulator; `cql-proxy health` asks a running proxy's readiness.
struct CQLProxyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cql-proxy",
        abstract: "A CQL proxy: legacy drivers speak to localhost, the proxy speaks to Astra or Cassandra.",
        discussion: """
            Every option may also come from its environment variable or from the YAML file's key named like \
            the long flag. Precedence: flag > environment > YAML > default. Durations are Go-style (10s, 1m30s).
            """,
        subcommands: [DemoCommand.self, HealthCommand.self])

    @OptionGroup var options: ProxyOptions

    func run() throws {
        let settings: Settings
        do {
            settings = try Settings(options: options, environment: Environment.current)
        } catch {
            Diagnostics.fail("\(error)", code: 2)
        }
        Runner(settings: settings).runUntilSignalled()
    }
}
