import ArgumentParser

/// `cql-proxy [options]` runs the proxy (as the Go image does); `cql-proxy demo` runs it in front of a
/// built-in in-memory cluster, for trying it with no cluster or account at hand.
struct CQLProxyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cql-proxy",
        abstract: "A CQL proxy: legacy drivers speak to localhost, the proxy speaks to the cluster.",
        subcommands: [RunCommand.self, DemoCommand.self, HealthCommand.self],
        defaultSubcommand: RunCommand.self)
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the proxy (the default).")

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
