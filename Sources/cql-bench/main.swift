import ArgumentParser

/// `cql-bench`: the load generator and the plain TCP relay used by benchmarks/run.sh.
struct CQLBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cql-bench",
        abstract: "CQL load generator and plain TCP relay, for measuring the proxy against baselines.",
        subcommands: [LoadCommand.self, RelayCommand.self])
}

CQLBenchCommand.main()
